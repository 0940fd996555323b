from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "imgbackup.photos"
    label = "photos"
