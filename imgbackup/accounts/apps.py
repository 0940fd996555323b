from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "imgbackup.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the failed-login counters before the first password is checked, and the
        # default quota every new user gets, whichever way they were made.
        from imgbackup.accounts import quotas, throttle  # noqa: F401
