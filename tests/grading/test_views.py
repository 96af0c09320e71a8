"""The grading pages: the panel on the challenge page, submitting (full POST and htmx), the
live submission-status partial, the history, and the submission page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from curriculum.models import Card, Challenge, Video
from grading import tasks, views
from grading.models import CheckResult, Submission
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("content")

SOLUTIONS = Path(__file__).parent / "solutions"
MHA = "multi-head-attention"
HTMX = {"HX-Request": "true"}
Status = Submission.Status


def book() -> str:
    return (SOLUTIONS / MHA / "book.py").read_text(encoding="utf-8")


def challenge(slug: str = MHA) -> Challenge:
    return Challenge.objects.get(slug=slug)


def submit_url(slug: str = MHA) -> str:
    return reverse("grading:challenge-submissions", args=[slug])


def page_url(slug: str = MHA) -> str:
    return reverse("curriculum:challenge", args=[slug])


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """No broker: record what would be sent."""
    calls: list[int] = []
    monkeypatch.setattr(
        tasks.grade_submission, "apply_async", lambda args, **kw: calls.append(args[0])
    )
    return calls


def finished(learner: User, status: str = Status.FAIL, **fields: Any) -> Submission:
    values: dict[str, Any] = {
        "source": "class MultiHeadAttention: ...\n",
        "message": "1 of 2 checks passed.",
        "finished_at": timezone.now(),
    }
    return Submission.objects.create(
        learner=learner, challenge=challenge(), status=status, **(values | fields)
    )


# --- the panel on the challenge page -------------------------------------------------------


def test_it_offers_the_editor_with_the_starter_template_the_first_time(alice: User) -> None:
    html = logged_in(alice).get(page_url()).content.decode()
    assert 'id="grading-panel"' in html
    assert 'data-editor="python"' in html and 'name="source"' in html
    assert "class MultiHeadAttentionWrapper(nn.Module):" in html  # the starter
    assert 'name="file"' in html and 'enctype="multipart/form-data"' in html
    assert f'hx-post="{submit_url()}"' in html and f'action="{submit_url()}"' in html
    assert "vendor/codemirror/codemirror.js" in html and "js/editor.js" in html
    assert "No attempts yet" in html


def test_it_restores_the_last_submission_in_the_editor(alice: User, bob: User) -> None:
    finished(alice, source="# my second try\nclass MultiHeadAttention: ...\n")
    finished(bob, source="# bob's code\n")
    html = logged_in(alice).get(page_url()).content.decode()
    assert "# my second try" in html and "# bob&#x27;s code" not in html
    assert "class MultiHeadAttentionWrapper(nn.Module):" not in html


def test_it_shows_the_latest_verdict_and_the_history_in_the_panel(alice: User) -> None:
    for _ in range(6):
        finished(alice)
    latest = finished(alice, Status.PASS, message="All 18 checks passed.", xp_awarded=175)
    html = logged_in(alice).get(page_url()).content.decode()
    assert 'id="submission-status"' in html and "All 18 checks passed." in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no polling
    assert 'id="submission-history"' in html and 'hx-trigger="grading-changed from:body"' in html
    assert html.count("<tr data-submission=") == 5
    assert f'href="{reverse("grading:submission-detail", args=[latest.pk])}"' in html
    assert "All 7 attempts" in html


def test_it_asks_anonymous_visitors_to_log_in(client: Client) -> None:
    html = client.get(page_url()).content.decode()
    assert "Log in to submit your code" in html
    assert f"{reverse('accounts:login')}?next=" in html
    assert "class MultiHeadAttentionWrapper" in html  # the starter, to read
    assert 'name="source"' not in html


def test_it_says_grading_arrives_soon_for_a_challenge_without_checks(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "get_spec", lambda slug: None)
    html = logged_in(alice).get(page_url("gpt-model")).content.decode()
    assert "Automatic grading for this challenge arrives soon" in html
    assert 'name="source"' not in html
    self_checks = challenge("gpt-model").build_items.filter(kind="self")
    for item in self_checks:
        assert item.text in html


# --- submitting ----------------------------------------------------------------------------


def test_it_saves_a_submission_and_redirects_to_its_page(
    alice: User, sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(alice).post(submit_url(), {"source": book(), "token": "t1"})
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("grading:submission-detail", args=[submission.pk])
    assert submission.learner == alice and submission.status == Status.QUEUED
    assert submission.source == book() and sent == [submission.pk]


def test_it_normalises_the_browsers_line_endings(alice: User) -> None:
    logged_in(alice).post(submit_url(), {"source": "x = 1\r\ny = 2\r\n"})
    assert Submission.objects.get().source == "x = 1\ny = 2\n"


def test_it_answers_htmx_with_the_live_status_and_a_fresh_token(alice: User) -> None:
    response = logged_in(alice).post(submit_url(), {"source": book(), "token": "t1"}, headers=HTMX)
    submission = Submission.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="submission-status"')
    assert f'hx-get="{reverse("grading:submission-status", args=[submission.pk])}"' in html
    assert 'hx-trigger="every 1s"' in html and "Queued" in html
    assert 'id="submission-token"' in html and 'hx-swap-oob="true"' in html
    assert 'value="t1"' not in html
    assert json.loads(response["HX-Trigger"])["grading-changed"]["id"] == submission.pk
    assert "<html" not in html


def test_a_replayed_post_changes_nothing(
    alice: User, sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(submit_url(), {"source": book(), "token": "once"})
    Submission.objects.update(status=Status.PASS)  # graded meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(submit_url(), {"source": "changed", "token": "once"})
    assert again["Location"] == first["Location"]
    assert Submission.objects.count() == 1 and len(sent) == 1
    assert Submission.objects.get().source == book()


def test_it_gives_bad_input_an_error_verdict_and_keeps_the_text(alice: User) -> None:
    response = logged_in(alice).post(submit_url(), {"source": "def f(:\n  pass\n"}, follow=True)
    html = response.content.decode()
    submission = Submission.objects.get()
    assert submission.status == Status.ERROR and "SyntaxError on line 1" in submission.message
    assert "Could not be graded" in html and "SyntaxError on line 1" in html
    assert "def f(:" in html  # the code, read-only, on the submission page
    assert sent_nothing(submission)


def sent_nothing(submission: Submission) -> bool:
    return submission.enqueued_at is None


def test_it_grades_an_uploaded_py_file(
    alice: User, sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("my_mha.py", book().encode(), content_type="text/x-python")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(alice).post(submit_url(), {"source": "ignored", "file": upload})
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert (submission.filename, submission.source) == ("my_mha.py", book())
    assert sent == [submission.pk]


def test_it_reports_the_byte_of_an_upload_that_is_not_utf8(alice: User) -> None:
    upload = SimpleUploadedFile("latin1.py", b"# caf\xe9\nx = 1\n")
    logged_in(alice).post(submit_url(), {"file": upload})
    submission = Submission.objects.get()
    assert submission.status == Status.ERROR
    assert "byte 0xe9 at byte offset 5 (line 1)" in submission.message
    assert bytes(submission.original) == b"# caf\xe9\nx = 1\n"


def test_it_refuses_a_notebook_upload_and_keeps_the_editor_text(alice: User) -> None:
    upload = SimpleUploadedFile("work.ipynb", b'{"cells": []}')
    response = logged_in(alice).post(submit_url(), {"source": "# typed text\n", "file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert "That is a Jupyter notebook" in html and "# typed text" in html
    assert not Submission.objects.exists()


def test_it_refuses_a_notebook_upload_in_place_for_htmx(alice: User) -> None:
    upload = SimpleUploadedFile("work.ipynb", b'{"cells": []}')
    response = logged_in(alice).post(submit_url(), {"file": upload}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#submission-form-errors"
    assert response["HX-Reswap"] == "outerHTML"
    assert "That is a Jupyter notebook" in response.content.decode()


def test_it_rate_limits_with_the_wait_and_keeps_the_text(alice: User) -> None:
    client = logged_in(alice)
    client.post(submit_url(), {"source": book()})
    response = client.post(submit_url(), {"source": "# my edit\n" + book()})
    html = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "3"
    assert "is still being graded" in html and "You can submit again in 3 s" in html
    assert "# my edit" in html
    assert Submission.objects.count() == 1


def test_it_rate_limits_htmx_next_to_the_form(alice: User, settings: Any) -> None:
    settings.GRADING_SUBMISSIONS_PER_MINUTE = 1
    client = logged_in(alice)
    client.post(submit_url(), {"source": ""}, headers=HTMX)
    response = client.post(submit_url(), {"source": ""}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#submission-form-errors"
    assert "You have submitted 1 time in the last minute" in html
    assert "You can submit again in" in html
    assert Submission.objects.count() == 1


def test_it_refuses_a_challenge_without_checks(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grading.submissions.get_spec", lambda slug: None)
    response = logged_in(alice).post(submit_url("gpt-model"), {"source": "x = 1\n"})
    assert response.status_code == 409 and "arrives soon" in response.content.decode()


def test_it_404s_for_an_unknown_challenge(alice: User) -> None:
    client = logged_in(alice)
    assert client.post(submit_url("no-such-thing"), {"source": "x"}).status_code == 404
    assert client.get(submit_url("no-such-thing")).status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(client: Client) -> None:
    for response in (
        client.post(submit_url(), {"source": book()}),
        client.get(submit_url()),
        client.get(reverse("grading:submission-detail", args=[1])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not Submission.objects.exists()


def test_an_htmx_request_after_the_session_lapsed_sends_the_whole_page_to_log_in(
    client: Client,
) -> None:
    page = "http://testserver" + reverse("curriculum:challenge", args=[MHA])
    for response in (
        client.get(
            reverse("grading:submission-status", args=[1]),
            headers=HTMX | {"HX-Current-URL": page},
        ),
        client.post(submit_url(), {"source": book()}, headers=HTMX | {"HX-Current-URL": page}),
    ):
        # Not a 302: htmx would swap the login page into the polled fragment.
        assert response.status_code == 200
        target = response["HX-Redirect"]
        assert target.startswith(reverse("accounts:login"))
        assert "next=/learn/challenges/" in target
    assert not Submission.objects.exists()


def test_it_refuses_other_http_methods(alice: User) -> None:
    client = logged_in(alice)
    submission = finished(alice)
    assert client.put(submit_url()).status_code == 405
    assert client.delete(submit_url()).status_code == 405
    assert (
        client.post(reverse("grading:submission-detail", args=[submission.pk])).status_code == 405
    )
    assert (
        client.post(reverse("grading:submission-status", args=[submission.pk])).status_code == 405
    )


# --- the submission page and its live partial ------------------------------------------------


def test_it_hides_another_learners_submission(alice: User, dave: User) -> None:
    submission = finished(alice)
    client = logged_in(dave)
    assert client.get(reverse("grading:submission-detail", args=[submission.pk])).status_code == 404
    assert (
        client.get(
            reverse("grading:submission-status", args=[submission.pk]), headers=HTMX
        ).status_code
        == 404
    )


def test_it_polls_while_running_and_shows_the_checks_so_far(alice: User) -> None:
    submission = Submission.objects.create(
        learner=alice, challenge=challenge(), source="x", status=Status.RUNNING, attempts=1
    )
    video = Video.objects.exclude(youtube_id="").filter(challenge=challenge()).first()
    card = Card.objects.get(number=16)
    CheckResult.objects.create(
        submission=submission,
        position=0,
        name="wrapper_heads",
        status="pass",
        message="ok",
        elapsed_ms=7,
        video_youtube_id=video.youtube_id,
        card_number=16,
        test_code="MultiHeadAttentionWrapper has num_heads CausalAttention heads",
    )
    CheckResult.objects.create(
        submission=submission,
        position=1,
        name="wrapper_output_shape",
        status="fail",
        message="expected shape (2, 6, 8), got (2, 6, 4)",
        output="got: tensor([...])",
        video_youtube_id="XXXXXXXXXXX",
        card_number=None,
    )
    url = reverse("grading:submission-status", args=[submission.pk])
    response = logged_in(alice).get(url, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="submission-status"')
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
    assert '<progress value="2" max="18">' in html and "Running checks: 2 of 18 done" in html
    assert "wrapper_heads" in html and "7 ms" in html
    assert "expected shape (2, 6, 8), got (2, 6, 4)" in html
    assert f'href="{page_url()}#video-{video.slug}"' in html  # the embedded player above
    assert 'href="https://www.youtube.com/watch?v=XXXXXXXXXXX"' in html
    assert f"Flashcard #16: {card.title}" in html
    assert "<summary>Details</summary><pre>got: tensor([...])</pre>" in html
    assert "HX-Trigger" not in response


def test_it_stops_polling_and_announces_the_first_pass(alice: User) -> None:
    submission = finished(
        alice, Status.PASS, message="All 18 checks passed.", xp_awarded=175, stdout="hi\n"
    )
    response = logged_in(alice).get(
        reverse("grading:submission-status", args=[submission.pk]), headers=HTMX
    )
    html = response.content.decode()
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "✓ Passed" in html and "+175 XP" in html
    assert "What your code printed" in html and "hi" in html
    events = json.loads(response["HX-Trigger"])
    assert events["xp-changed"] == {"amount": 175, "reason": f"challenge:{MHA}:pass"}
    assert events["grading-changed"] == {"id": submission.pk, "status": "pass"}


def test_it_does_not_announce_xp_for_a_later_pass(alice: User) -> None:
    submission = finished(alice, Status.PASS, message="All 18 checks passed.")
    response = logged_in(alice).get(
        reverse("grading:submission-status", args=[submission.pk]), headers=HTMX
    )
    assert "xp-changed" not in response["HX-Trigger"]


def test_it_keeps_the_layout_of_a_syntax_error_message(alice: User) -> None:
    message = "SyntaxError on line 3: invalid syntax\n    def f(:\n         ^"
    submission = finished(alice, Status.ERROR, message=message)
    html = logged_in(alice).get(reverse("grading:submission-detail", args=[submission.pk]))
    assert f'<pre class="verdict-message">{message}</pre>' in html.content.decode()


def test_it_shows_the_submission_page_with_read_only_code(alice: User) -> None:
    submission = finished(alice, source="class MultiHeadAttention:  # mine\n    pass\n")
    response = logged_in(alice).get(reverse("grading:submission-detail", args=[submission.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert f"Submission #{submission.pk}" in html
    assert 'data-editor="python-readonly"' in html and "readonly" in html
    assert "class MultiHeadAttention:  # mine" in html
    assert 'id="submission-status"' in html


# --- the history ---------------------------------------------------------------------------


def test_it_lists_every_attempt_on_the_submissions_page(alice: User, bob: User) -> None:
    mine = [finished(alice) for _ in range(7)]
    finished(bob)
    response = logged_in(alice).get(submit_url())
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert html.count("<tr data-submission=") == 7
    for submission in mine:
        assert f'data-submission="{submission.pk}"' in html


def test_it_refreshes_the_history_partial_for_htmx(alice: User) -> None:
    for _ in range(7):
        finished(alice)
    response = logged_in(alice).get(submit_url() + "?limit=5", headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="submission-history"')
    assert html.count("<tr data-submission=") == 5 and "All 7 attempts" in html
    assert "<html" not in html
