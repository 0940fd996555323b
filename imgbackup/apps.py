from django.apps import AppConfig


class ImgbackupConfig(AppConfig):
    """The project package itself, so that its management commands (serve, token...) load."""

    name = "imgbackup"
    label = "imgbackup"
