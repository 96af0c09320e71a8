"""The XP ledger: every award is one row, unique per (learner, reason)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import User
from progress.models import XPEntry


@transaction.atomic
def award(*, learner: User, reason: str, amount: int) -> XPEntry | None:
    """Record an award once. Returns None when this reason was already awarded."""
    try:
        # The savepoint keeps an outer transaction usable after a duplicate.
        with transaction.atomic():
            return XPEntry.objects.create(learner=learner, reason=reason, amount=amount)
    except IntegrityError:
        return None


def total(*, learner: User) -> int:
    return XPEntry.objects.filter(learner=learner).aggregate(s=Sum("amount"))["s"] or 0
