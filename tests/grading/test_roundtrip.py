"""The one grading round trip through real services: submit() → Redis → a real Celery
worker → the real runner and sandbox → PostgreSQL, with the XP awarded once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from curriculum.models import Challenge
from grading.challenges import get_spec
from grading.models import Submission
from grading.submissions import submit
from progress.models import XPEntry
from tests.grading.worker import Worker, grading_worker  # noqa: F401 (a fixture)

SOLUTIONS = Path(__file__).parent / "solutions"
MHA = "multi-head-attention"


def wait_for_verdict(submission: Submission, worker: Worker, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        submission.refresh_from_db()
        if submission.is_finished:
            return
        worker.assert_alive()
        assert time.monotonic() < deadline, f"no verdict in {timeout_s} s: {submission.status}"
        time.sleep(0.05)


@pytest.mark.celery_roundtrip
@pytest.mark.django_db(transaction=True)
def test_it_grades_a_submission_through_a_real_worker(
    grading_worker: Worker,  # noqa: F811
    alice: User,
) -> None:
    call_command("load_content", verbosity=0)
    challenge = Challenge.objects.get(slug=MHA)
    source = (SOLUTIONS / MHA / "book.py").read_text(encoding="utf-8")

    started = time.monotonic()
    submission = submit(learner=alice, challenge=challenge, source=source)
    wait_for_verdict(submission, grading_worker)
    elapsed = time.monotonic() - started

    spec = get_spec(MHA)
    assert spec is not None
    assert submission.status == Submission.Status.PASS, submission.message
    assert submission.attempts == 1 and submission.enqueued_at is not None
    checks = list(submission.checks.all())
    assert [c.name for c in checks] == [c.name for c in spec.checks]
    assert all(c.status == "pass" for c in checks)
    assert submission.result["version"] == 3 and submission.result["status"] == "pass"
    assert any("bubblewrap" in layer for layer in submission.result["isolation"])
    assert submission.xp_awarded == challenge.xp
    assert elapsed < 10, f"submit to verdict took {elapsed:.2f} s"

    # A second, failing submission: graded too, and the XP is not awarded again.
    mistake = (SOLUTIONS / MHA / "mistake_no_out_proj.py").read_text(encoding="utf-8")
    second = submit(learner=alice, challenge=challenge, source=mistake)
    wait_for_verdict(second, grading_worker)
    assert second.status == Submission.Status.FAIL and second.xp_awarded == 0
    assert XPEntry.objects.filter(learner=alice).count() == 1
