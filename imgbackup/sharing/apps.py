from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "imgbackup.sharing"
    label = "sharing"
