"""Submitting code for grading (DESIGN.md §4): validate, save, enqueue on commit.

``submit`` is the one workflow that creates submissions; the web form, the API and the
tests call it. What it guarantees:

- The learner's text is never lost: every accepted call saves a row, also when the source
  is rejected. Bytes that cannot be stored as text (not UTF-8, NUL bytes) are kept in
  ``Submission.original`` and the text shows them replaced, with a note saying so.
- Bad input (empty, over 256 KB, not UTF-8, NUL bytes, a syntax error, missing contract
  names) gets the verdict `error` at once with a message that says what to fix, and
  nothing is run or enqueued.
- Anything else is saved `queued` and sent to the grading queue when the transaction
  commits; if the broker is down, the sweep sends it later.
- Rate limits raise ``RateLimited`` before anything is saved (the caller keeps the text in
  the editor): at most GRADING_SUBMISSIONS_PER_MINUTE per learner, and one submission per
  challenge waiting or being graded (a database constraint, so a double click cannot slip
  through).
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from curriculum.models import Challenge
from grading import tasks
from grading.challenges import get_spec
from grading.models import Submission
from grading.runner.precheck import MAX_BYTES, missing_names_hint, precheck
from progress import freshness

# The raw bytes of an altered upload are kept up to this size; past it only the first
# MAX_BYTES are kept as text (a file that large is not a solution module anyway).
MAX_ORIGINAL_BYTES = 4 * MAX_BYTES
# What a learner is told to wait while their previous submission is still being graded.
ACTIVE_RETRY_AFTER_S = 3


class SubmissionRejected(Exception):
    """The submission was not saved; ``str(exc)`` tells the learner why."""


class NotGradable(SubmissionRejected):
    pass


class RateLimited(SubmissionRejected):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@transaction.atomic
def submit(
    *,
    learner: User,
    challenge: Challenge,
    source: str | bytes,
    filename: str = "solution.py",
    client_token: str = "",
) -> Submission:
    """Save a submission and enqueue its grading; see the module docstring.

    ``client_token`` (the form's one-time token, the API's Idempotency-Key) makes a replay
    return the submission the first call created. Raises ``NotGradable`` when the challenge
    has no checks yet and ``RateLimited`` when the learner must wait.
    """
    spec = get_spec(challenge.slug)
    if spec is None:
        raise NotGradable(f"Automatic grading for “{challenge.title}” arrives soon.")
    client_token = client_token[:64]
    if client_token and (replayed := _replayed(learner, client_token)) is not None:
        return replayed

    # Serialise this learner's submits so the per-minute count below cannot race.
    list(User.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True))
    _check_rate(learner=learner, challenge=challenge)

    text, original, note = _as_text(source)
    problem = precheck(source, names=spec.names)
    if problem is None:
        missing = missing_names_hint(text, spec.names)
        if missing:
            problem = missing_names_message(missing, spec.names)
    now = timezone.now()
    submission = Submission(
        learner=learner,
        challenge=challenge,
        source=text,
        original=original,
        filename=_clean_filename(filename),
        client_token=client_token,
        status=Submission.Status.ERROR if problem else Submission.Status.QUEUED,
        message="\n\n".join(part for part in (problem, note) if part),
        finished_at=now if problem else None,
        result=exercism_error(problem) if problem else None,
    )
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        # Lost a race the lock above does not cover (another web process between our
        # check and insert): the constraint decides; tell the learner the same thing.
        if client_token and (replayed := _replayed(learner, client_token)) is not None:
            return replayed
        raise RateLimited(_still_grading(challenge), retry_after=ACTIVE_RETRY_AFTER_S) from None
    # A new attempt in the learner's cohort overviews (progress.freshness).
    freshness.touch(learner=learner)
    if problem is None:
        tasks.enqueue_on_commit(submission)
    return submission


def exercism_error(message: str) -> dict[str, object]:
    """The results.json of a submission refused before anything ran (runner's layout)."""
    return {"version": 3, "status": "error", "message": message, "tests": []}


def _replayed(learner: User, client_token: str) -> Submission | None:
    return Submission.objects.filter(learner=learner, client_token=client_token).first()


def _check_rate(*, learner: User, challenge: Challenge) -> None:
    if Submission.objects.for_learner(learner).active().filter(challenge=challenge).exists():
        raise RateLimited(_still_grading(challenge), retry_after=ACTIVE_RETRY_AFTER_S)
    limit = settings.GRADING_SUBMISSIONS_PER_MINUTE
    if limit <= 0:
        return
    now = timezone.now()
    recent = list(
        Submission.objects.for_learner(learner)
        .filter(created_at__gt=now - timedelta(seconds=60))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        # The oldest of the last `limit` leaves the one-minute window first.
        wait = math.ceil((recent[-1] + timedelta(seconds=60) - now).total_seconds())
        wait = max(1, wait)
        raise RateLimited(
            f"You have submitted {limit} time{'s' if limit != 1 else ''} in the last minute. "
            f"You can submit again in {wait} s (your code is still in the editor).",
            retry_after=wait,
        )


def _still_grading(challenge: Challenge) -> str:
    return (
        f"Your previous submission for “{challenge.title}” is still being graded. "
        f"You can submit again in {ACTIVE_RETRY_AFTER_S} s, once its verdict is in "
        "(your code is still in the editor)."
    )


def _as_text(source: str | bytes) -> tuple[str, bytes | None, str]:
    """(text to store and show, the raw bytes if the text differs from them, a note)."""
    if isinstance(source, str):
        try:
            data = source.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from a hand-made request
            data = source.encode("utf-8", "surrogatepass")
    else:
        data = source
    notes = []
    if len(data) > MAX_BYTES:
        kept = data[:MAX_BYTES]
        notes.append(
            f"Only the first {MAX_BYTES // 1024} KB of the {len(data)} bytes are shown here."
        )
    else:
        kept = data
    text = kept.decode("utf-8", "replace")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("Bytes that are not UTF-8 are shown here as �.")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
        notes.append("NUL bytes are shown here as �.")
    altered = text.encode("utf-8") != data
    original = data if altered and len(data) <= MAX_ORIGINAL_BYTES else None
    if altered and original is not None:
        notes.append("Your original file is kept unchanged.")
    return text, original, " ".join(notes)


def _clean_filename(filename: str) -> str:
    # Only the base name, for display; it never becomes a path anywhere.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    return name[:120] or "solution.py"


def missing_names_message(missing: list[str], names: tuple[str, ...]) -> str:
    listed = ", ".join(f"`{name}`" for name in missing)
    contract = " and ".join(f"`{name}`" for name in names)
    return (
        f"Your module does not define {listed}, so nothing was run. "
        f"The checks need {contract} defined at module level, spelled exactly as in the "
        "book (names are case-sensitive)."
    )
