from __future__ import annotations

from django.conf import settings
from django.db import models


class WechatAccount(models.Model):
    """The link between a WeChat user of our mini program (its ``openid``) and our user.

    ``session_key`` is what WeChat's jscode2session returned at the last login. It stays on the
    server (it decrypts the user's signed WeChat data) and is never sent to any client."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="wechat")
    openid = models.CharField(max_length=64, unique=True)
    unionid = models.CharField(max_length=64, blank=True)
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"WeChat account of {self.user_id}"
