from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "imgbackup.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the failed-login counters before the first password is checked.
        from imgbackup.accounts import throttle  # noqa: F401
