"""submissions.submit: validation verdicts, saving, enqueueing on commit, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from curriculum.models import Challenge
from grading import submissions, tasks
from grading.models import Submission
from grading.submissions import NotGradable, RateLimited, submit

pytestmark = pytest.mark.usefixtures("content")

SOLUTIONS = Path(__file__).parent / "solutions"
MHA = "multi-head-attention"


def book(slug: str = MHA) -> str:
    return (SOLUTIONS / slug / "book.py").read_text(encoding="utf-8")


def challenge(slug: str = MHA) -> Challenge:
    return Challenge.objects.get(slug=slug)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """What the grading task was sent, instead of a broker."""
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(
        tasks.grade_submission, "apply_async", lambda *a, **kw: calls.append((a, kw))
    )
    return calls


def test_it_saves_a_valid_submission_queued_and_enqueues_it_on_commit(
    alice: User, sent: list[Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submit(learner=alice, challenge=challenge(), source=book())
    assert submission.status == Submission.Status.QUEUED
    assert submission.source == book() and submission.message == ""
    assert len(callbacks) == 1 and sent == []  # nothing is sent before the commit
    callbacks[0]()
    assert sent == [
        (
            ((submission.pk,),),
            {
                "queue": "grading-cpu",
                "soft_time_limit": 40,  # the challenge's 20 s + 5 s grace + 15 s margin
                "time_limit": 50,
                "retry": True,
                "retry_policy": tasks._PUBLISH_RETRY,
            },
        )
    ]
    submission.refresh_from_db()
    assert submission.enqueued_at is not None


def test_it_routes_gpu_challenges_to_the_gpu_queue(
    alice: User,
    sent: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.GRADING_GPU_CHALLENGES = [MHA]
    with django_capture_on_commit_callbacks(execute=True):
        submit(learner=alice, challenge=challenge(), source=book())
    assert sent[0][1]["queue"] == "grading-gpu"


def test_it_keeps_the_submission_queued_when_the_broker_is_down(
    alice: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.grade_submission, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(learner=alice, challenge=challenge(), source=book())
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert submission.enqueued_at is None  # the sweep's cue to send it


BAD_INPUTS = [
    ("empty", "", "Your submission is empty"),
    ("whitespace", "   \n\t\n", "Your submission is empty"),
    ("too large", "x = 1\n" * 50_000, "the limit is 256 KB"),
    ("not utf-8", b"import torch\nname = '\xe9t\xe9'\n", "byte 0xe9 at byte offset 21 (line 2)"),
    ("nul byte", b"import torch\nx = 1\x00\n", "NUL byte (\\x00) at byte offset 18 (line 2)"),
    ("syntax error", "import torch\n\ndef forward(self x):\n    pass\n", "SyntaxError on line 3"),
    (
        "missing names",
        "import torch\n\nclass MultiHeadAttentionWrapper(torch.nn.Module):\n    pass\n",
        "Your module does not define `MultiHeadAttention`, so nothing was run",
    ),
    (
        "answer package",
        "from llms_from_scratch.ch03 import MultiHeadAttention\n",
        "`llms_from_scratch`",
    ),
]


@pytest.mark.parametrize(("case", "source", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_it_gives_bad_input_an_error_verdict_without_running_anything(
    alice: User,
    sent: list[Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
    case: str,
    source: str | bytes,
    expected: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = submit(learner=alice, challenge=challenge(), source=source)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR
    assert expected in submission.message
    assert submission.finished_at is not None
    result = submission.result
    assert (result["version"], result["status"], result["tests"]) == (3, "error", [])
    assert expected in result["message"]
    assert callbacks == [] and sent == []  # nothing enqueued, nothing run


def test_it_keeps_the_bytes_of_a_file_that_is_not_utf8(alice: User) -> None:
    raw = b"import torch\nname = '\xe9t\xe9'\n"
    submission = submit(learner=alice, challenge=challenge(), source=raw, filename="sol.py")
    submission.refresh_from_db()
    assert bytes(submission.original) == raw
    assert submission.source == "import torch\nname = '\ufffdt\ufffd'\n"
    assert "Bytes that are not UTF-8 are shown here as �" in submission.message
    assert "Your original file is kept unchanged" in submission.message


def test_it_stores_nul_bytes_as_replacement_characters_and_keeps_the_original(
    alice: User,
) -> None:
    raw = b"x = 1\x00\n"
    submission = submit(learner=alice, challenge=challenge(), source=raw)
    submission.refresh_from_db()
    assert submission.source == "x = 1\ufffd\n" and bytes(submission.original) == raw
    assert "NUL bytes are shown here as �" in submission.message


def test_it_shows_only_the_first_256_kb_of_an_oversized_source(alice: User) -> None:
    raw = ("x = 1\n" * 50_000).encode()
    submission = submit(learner=alice, challenge=challenge(), source=raw)
    assert len(submission.source.encode()) == 256 * 1024
    assert bytes(submission.original) == raw
    assert "Only the first 256 KB of the 300000 bytes are shown here" in submission.message


def test_it_does_not_keep_an_original_copy_of_a_clean_text(alice: User) -> None:
    submission = submit(learner=alice, challenge=challenge(), source=book().encode())
    submission.refresh_from_db()
    assert submission.original is None and submission.source == book()


def test_it_keeps_only_the_base_name_of_an_uploaded_file(alice: User, sent: list[Any]) -> None:
    submission = submit(
        learner=alice, challenge=challenge(), source=book(), filename="C:\\Users\\me\\mha.py"
    )
    assert submission.filename == "mha.py"


def test_it_refuses_a_challenge_without_checks(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submissions, "get_spec", lambda slug: None)  # no spec yet
    with pytest.raises(NotGradable, match="arrives soon"):
        submit(learner=alice, challenge=challenge("gpt-model"), source="x = 1\n")
    assert not Submission.objects.exists()


def test_it_allows_one_submission_in_grading_per_challenge(alice: User, sent: list[Any]) -> None:
    first = submit(learner=alice, challenge=challenge(), source=book())
    with pytest.raises(RateLimited, match="still being graded") as refused:
        submit(learner=alice, challenge=challenge(), source=book())
    assert refused.value.retry_after > 0
    assert list(Submission.objects.values_list("pk", flat=True)) == [first.pk]
    # Another challenge is independent, and so is another learner.
    submit(learner=alice, challenge=challenge("causal-attention"), source=book("causal-attention"))
    Submission.objects.filter(pk=first.pk).update(status=Submission.Status.FAIL)
    submit(learner=alice, challenge=challenge(), source=book())
    assert Submission.objects.count() == 3


def test_it_enforces_one_active_submission_in_the_database(alice: User) -> None:
    Submission.objects.create(learner=alice, challenge=challenge(), source="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            learner=alice, challenge=challenge(), source="b", status=Submission.Status.RUNNING
        )


def test_it_limits_submissions_per_minute_with_the_time_to_wait(
    alice: User, bob: User, settings: Any
) -> None:
    settings.GRADING_SUBMISSIONS_PER_MINUTE = 3
    for _ in range(3):  # error verdicts: each is saved and counts
        submit(learner=alice, challenge=challenge(), source="")
    oldest = timezone.now() - timedelta(seconds=45)
    Submission.objects.filter(pk=Submission.objects.order_by("pk").first().pk).update(
        created_at=oldest
    )
    with pytest.raises(RateLimited) as refused:
        submit(learner=alice, challenge=challenge(), source=book())
    assert 14 <= refused.value.retry_after <= 16
    assert f"You can submit again in {refused.value.retry_after} s" in str(refused.value)
    assert Submission.objects.filter(learner=alice).count() == 3
    submit(learner=bob, challenge=challenge(), source="")  # bob has his own budget


def test_it_counts_only_the_last_minute(alice: User, settings: Any) -> None:
    settings.GRADING_SUBMISSIONS_PER_MINUTE = 2
    for _ in range(2):
        submit(learner=alice, challenge=challenge(), source="")
    Submission.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    submit(learner=alice, challenge=challenge(), source="")
    assert Submission.objects.count() == 3


def test_it_returns_the_same_submission_for_a_replayed_token(
    alice: User, bob: User, sent: list[Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(learner=alice, challenge=challenge(), source=book(), client_token="t-1")
    Submission.objects.filter(pk=first.pk).update(status=Submission.Status.PASS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = submit(learner=alice, challenge=challenge(), source="changed", client_token="t-1")
    assert again.pk == first.pk and callbacks == []
    assert Submission.objects.count() == 1 and len(sent) == 1
    # A token is only meaningful per learner.
    submit(learner=bob, challenge=challenge(), source="", client_token="t-1")
    assert Submission.objects.count() == 2
