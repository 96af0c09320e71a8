"""The grading API: POST /api/challenges/<slug>/submissions and GET /api/submissions/<id>."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tokens import create_token
from curriculum.models import Challenge
from grading import tasks
from grading.models import CheckResult, Submission
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("content")

SOLUTIONS = Path(__file__).parent / "solutions"
MHA = "multi-head-attention"
Status = Submission.Status


def book() -> str:
    return (SOLUTIONS / MHA / "book.py").read_text(encoding="utf-8")


def create_url(slug: str = MHA) -> str:
    return reverse("grading:api-create-submission", args=[slug])


def status_url(pk: int) -> str:
    return reverse("grading:api-submission", args=[pk])


def bearer(user: User) -> dict[str, str]:
    token = create_token(user=user)
    assert token is not None
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(
        tasks.grade_submission, "apply_async", lambda args, **kw: calls.append(args[0])
    )
    return calls


def post_json(client: Client, body: Any, headers: dict[str, str], slug: str = MHA) -> Any:
    return client.post(
        create_url(slug), json.dumps(body), content_type="application/json", headers=headers
    )


def test_it_accepts_json_and_answers_202_with_links(
    client: Client, alice: User, sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client, {"source": book(), "filename": "mha.py"}, bearer(alice))
    submission = Submission.objects.get()
    data = response.json()
    assert response.status_code == 202
    assert data["id"] == submission.pk and data["status"] == "queued"
    assert data["challenge"] == MHA
    assert data["url"] == f"http://testserver{status_url(submission.pk)}"
    assert data["html_url"].endswith(reverse("grading:submission-detail", args=[submission.pk]))
    assert (submission.learner, submission.filename, submission.source) == (alice, "mha.py", book())
    assert sent == [submission.pk]


def test_it_accepts_a_multipart_file(client: Client, alice: User) -> None:
    upload = SimpleUploadedFile("notebook_export.py", book().encode())
    response = client.post(create_url(), {"file": upload}, headers=bearer(alice))
    assert response.status_code == 202
    assert Submission.objects.get().filename == "notebook_export.py"


def test_it_answers_201_with_the_error_verdict_for_bad_input(client: Client, alice: User) -> None:
    response = post_json(client, {"source": "def f(:\n"}, bearer(alice))
    data = response.json()
    assert response.status_code == 201
    assert data["status"] == "error" and "SyntaxError on line 1" in data["message"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer la_not-a-real-token"}, {"Authorization": "Basic YWxpY2U6eA=="}],
    ids=["missing", "wrong", "other scheme"],
)
def test_it_refuses_requests_without_a_valid_token(
    client: Client, alice: User, headers: dict[str, str]
) -> None:
    response = post_json(client, {"source": book()}, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Submission.objects.exists()


def test_it_ignores_the_session_cookie(alice: User) -> None:
    """A logged-in browser without the token gets nothing: no CSRF-free session writes."""
    client = Client(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)
    assert post_json(client, {"source": book()}, {}).status_code == 401
    assert client.get(status_url(1)).status_code == 401


def test_it_needs_no_csrf_token_with_a_bearer_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post_json(client, {"source": book()}, bearer(alice)).status_code == 202


def test_it_404s_for_an_unknown_challenge(client: Client, alice: User) -> None:
    response = post_json(client, {"source": book()}, bearer(alice), slug="no-such-challenge")
    assert response.status_code == 404 and response.json()["error"] == "unknown_challenge"


def test_it_404s_for_a_challenge_without_checks(
    client: Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grading.submissions.get_spec", lambda slug: None)
    response = post_json(client, {"source": book()}, bearer(alice), slug="gpt-model")
    assert response.status_code == 404 and response.json()["error"] == "not_gradable"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "bad_json"),
        (json.dumps({"code": "x"}), "application/json", 400, "bad_input"),
        (json.dumps(["x"]), "application/json", 400, "bad_input"),
        (json.dumps({"source": 3}), "application/json", 400, "bad_input"),
        ("source=x", "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["malformed", "no source", "not an object", "source not text", "plain text"],
)
def test_it_explains_bad_requests(
    client: Client, alice: User, body: str, content_type: str, status: int, code: str
) -> None:
    response = client.post(create_url(), body, content_type=content_type, headers=bearer(alice))
    assert response.status_code == status and response.json()["error"] == code
    assert response.json()["detail"]
    assert not Submission.objects.exists()


def test_it_refuses_a_multipart_request_without_a_file(client: Client, alice: User) -> None:
    response = client.post(create_url(), {"other": "x"}, headers=bearer(alice))
    assert response.status_code == 400 and "`file`" in response.json()["detail"]


def test_it_refuses_a_notebook_file(client: Client, alice: User) -> None:
    upload = SimpleUploadedFile("work.ipynb", b"{}")
    response = client.post(create_url(), {"file": upload}, headers=bearer(alice))
    assert response.status_code == 400 and "Jupyter notebook" in response.json()["detail"]


def test_it_rate_limits_with_429_and_retry_after(client: Client, alice: User) -> None:
    headers = bearer(alice)
    assert post_json(client, {"source": book()}, headers).status_code == 202
    response = post_json(client, {"source": book()}, headers)
    assert response.status_code == 429 and response["Retry-After"] == "3"
    assert response.json()["error"] == "rate_limited"
    assert "still being graded" in response.json()["detail"]
    assert Submission.objects.count() == 1


def test_it_replays_an_idempotency_key(client: Client, alice: User) -> None:
    headers = bearer(alice) | {"Idempotency-Key": "cell-42-run-1"}
    first = post_json(client, {"source": book()}, headers).json()
    again = post_json(client, {"source": book()}, headers)
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    assert Submission.objects.count() == 1


def test_it_refuses_get_on_the_create_url(client: Client, alice: User) -> None:
    assert client.get(create_url(), headers=bearer(alice)).status_code == 405


# --- GET /api/submissions/<id> --------------------------------------------------------------


def test_it_reports_the_live_checks_while_running(client: Client, alice: User) -> None:
    submission = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.get(slug=MHA),
        source="x",
        status=Status.RUNNING,
        attempts=1,
    )
    CheckResult.objects.create(
        submission=submission,
        position=0,
        name="wrapper_heads",
        status="pass",
        message="ok",
        elapsed_ms=12,
    )
    response = client.get(status_url(submission.pk), headers=bearer(alice))
    data = response.json()
    assert response.status_code == 200
    assert data["status"] == "running" and data["results"] is None and data["attempts"] == 1
    assert data["checks"] == [
        {"name": "wrapper_heads", "status": "pass", "message": "ok", "elapsed_s": 0.012}
    ]


def test_it_reports_the_exercism_results_when_finished(client: Client, alice: User) -> None:
    results = {"version": 3, "status": "pass", "message": None, "tests": []}
    submission = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.get(slug=MHA),
        source="x",
        status=Status.PASS,
        result=results,
        xp_awarded=125,
    )
    data = client.get(status_url(submission.pk), headers=bearer(alice)).json()
    assert data["status"] == "pass" and data["results"] == results and data["xp_awarded"] == 125


def test_it_hides_another_learners_submission(client: Client, alice: User, dave: User) -> None:
    submission = Submission.objects.create(
        learner=alice, challenge=Challenge.objects.get(slug=MHA), source="x"
    )
    response = client.get(status_url(submission.pk), headers=bearer(dave))
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert client.get(status_url(submission.pk)).status_code == 401


def test_it_refuses_post_on_the_status_url(client: Client, alice: User) -> None:
    assert client.post(status_url(1), headers=bearer(alice)).status_code == 405
