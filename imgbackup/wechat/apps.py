from django.apps import AppConfig


class WechatConfig(AppConfig):
    """Login for the WeChat mini program: a ``wx.login`` code exchanged for an API token."""

    name = "imgbackup.wechat"
    label = "wechat"

    def ready(self) -> None:
        from imgbackup.wechat import checks  # noqa: F401  (registers the system checks)
