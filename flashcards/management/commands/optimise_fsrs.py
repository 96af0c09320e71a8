"""Refit FSRS parameters now (the beat task does it daily): pooled, or for one learner."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from flashcards import optimisation


class Command(BaseCommand):
    help = "Fit FSRS parameters from review logs with fsrs's Optimizer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learner", help="username; default: the pool of all learners")

    def handle(self, *args: Any, **options: Any) -> None:
        learner = None
        if options["learner"]:
            learner = User.objects.filter(username=options["learner"]).first()
            if learner is None:
                raise CommandError(f"No user called {options['learner']!r}.")
        who = learner.username if learner else "all learners"
        count = optimisation.cross_day_reviews(learner)
        fit = optimisation.optimise(learner=learner)
        if fit is None:
            self.stdout.write(
                f"{who}: {count} cross-day reviews, fewer than the {optimisation.MIN_REVIEWS} "
                "fsrs needs; keeping the current parameters."
            )
            return
        self.stdout.write(f"{who}: fitted on {fit.review_count} reviews: {fit.parameters}")
