from __future__ import annotations

import pytest
from django.test import Client, override_settings


@pytest.mark.django_db
def test_it_reports_database_and_broker_reachable(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": "postgresql"}
    assert body["broker"] == {"ok": True, "detail": "redis"}


@pytest.mark.django_db
def test_it_reports_an_unreachable_broker_as_degraded(client: Client) -> None:
    # Nothing listens on port 1.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db
def test_it_refuses_other_methods_on_healthz(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_it_sends_a_content_security_policy(client: Client) -> None:
    csp = client.get("/healthz").headers["Content-Security-Policy"]

    assert "script-src 'self'" in csp
    assert "frame-src https://www.youtube-nocookie.com" in csp


@override_settings(DEBUG=False)
def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    import subprocess
    import sys

    env = {"DEBUG": "0", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", "import accelerator.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "set SECRET_KEY" in proc.stderr
