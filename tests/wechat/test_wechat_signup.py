"""Who may become a user through WeChat (IMGBACKUP_WECHAT_SIGNUP): open, approve (the
default: the user exists, inactive, until an admin enables them) or closed; new WeChat users
get the default quota."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from wechat_standin import StandIn, standin

from imgbackup.accounts.quotas import quota_of
from imgbackup.accounts.users import set_active

URL = "/api/v2/auth/wechat"


@pytest.fixture
def wechat(settings: Any) -> Iterator[StandIn]:
    cache.clear()
    with standin() as fake:
        settings.WECHAT_APPID = "wx-test-appid"
        settings.WECHAT_SECRET = "test-secret"
        settings.WECHAT_CODE2SESSION_URL = fake.url
        yield fake


def login(code: str) -> Any:
    return Client().post(URL, json.dumps({"code": code}), content_type="application/json")


def test_by_default_a_new_wechat_user_waits_for_an_admin(db: None, wechat: StandIn,
                                                       settings: Any) -> None:
    assert settings.WECHAT_SIGNUP == "approve"
    settings.DEFAULT_QUOTA = 1024**3
    first = login("ok-openid-carol")
    assert first.status_code == 403, first.content
    assert first.json()["error"]["code"] == "approval_required"
    user = User.objects.get()
    assert not user.is_active and quota_of(user) == 1024**3
    assert user.username in first.json()["error"]["message"]
    assert login("ok-openid-carol").json()["error"]["code"] == "approval_required"
    set_active(user, True)  # what the Users page's Enable does
    allowed = login("ok-openid-carol")
    assert allowed.status_code == 200 and allowed.json()["user"]["username"] == user.username


def test_a_user_disabled_after_approval_is_told_so(db: None, wechat: StandIn) -> None:
    login("ok-openid-carol")
    user = User.objects.get()
    set_active(user, True)
    assert login("ok-openid-carol").status_code == 200
    set_active(user, False)
    assert login("ok-openid-carol").json()["error"]["code"] == "account_disabled"


def test_closed_signup_makes_nobody(db: None, wechat: StandIn, settings: Any) -> None:
    settings.WECHAT_SIGNUP = "closed"
    refused = login("ok-openid-dave")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "signup_closed"
    assert not User.objects.exists()


def test_open_signup_lets_anyone_in_with_the_default_quota(db: None, wechat: StandIn,
                                                          settings: Any) -> None:
    settings.WECHAT_SIGNUP = "open"
    settings.DEFAULT_QUOTA = 5 * 1024**3
    assert login("ok-openid-erin").status_code == 200
    assert quota_of(User.objects.get()) == 5 * 1024**3
