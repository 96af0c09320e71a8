"""Celery's standard Django wiring; queues are routed by task module (STYLE.md)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accelerator.settings")

app = Celery("accelerator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("grading-cpu"), Queue("grading-gpu"))
app.conf.task_routes = {"grading.tasks.grade_submission": {"queue": "grading-cpu"}}
app.autodiscover_tasks()


@app.on_after_configure.connect
def _ensure_filesystem_broker_dirs(sender: Celery, **_: object) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if folder := options.get(key):
            os.makedirs(folder, exist_ok=True)
