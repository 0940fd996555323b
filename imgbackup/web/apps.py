from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "imgbackup.web"
    label = "web"
