from django.apps import AppConfig


class PlaygroundsConfig(AppConfig):
    name = "playgrounds"
