from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "imgbackup.api"
    label = "api"
