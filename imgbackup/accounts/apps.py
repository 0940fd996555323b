from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "imgbackup.accounts"
    label = "accounts"
