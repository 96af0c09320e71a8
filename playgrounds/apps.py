import importlib
import pkgutil

from django.apps import AppConfig


class PlaygroundsConfig(AppConfig):
    name = "playgrounds"

    def ready(self) -> None:
        # Register every computation (playgrounds/computations/*.py) with playgrounds.jobs.
        from playgrounds import computations

        for info in pkgutil.iter_modules(computations.__path__):
            importlib.import_module(f"{computations.__name__}.{info.name}")
