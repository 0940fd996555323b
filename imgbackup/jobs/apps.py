from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "imgbackup.jobs"
    label = "jobs"
