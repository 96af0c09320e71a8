"""bench_grading's preflight: it refuses to measure anything but the real path.

The benchmark itself starts gunicorn and a worker and takes minutes; its figures are in the
grading section of the README (run it with `manage.py bench_grading`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.usefixtures("content")


def test_it_needs_a_redis_broker(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    with pytest.raises(CommandError, match="through Redis") as refused:
        call_command("bench_grading", "--n", "1")
    assert refused.value.returncode == 2


def test_it_refuses_a_challenge_without_checks(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/5"
    with pytest.raises(CommandError, match="has no checks") as refused:
        call_command("bench_grading", "--slug", "no-such-challenge")
    assert refused.value.returncode == 2


def test_it_needs_a_passing_solution(settings: Any, tmp_path: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/5"
    with pytest.raises(CommandError, match="No passing solution") as refused:
        call_command("bench_grading", "--solution", str(tmp_path / "absent.py"))
    assert refused.value.returncode == 2
