"""Periodic FSRS parameter fitting (STYLE.md: thin tasks around plain functions)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from flashcards import optimisation


@shared_task(soft_time_limit=1500, time_limit=1800)
def optimise_parameters() -> None:
    """Beat, daily: refit the pooled parameters, then each learner with enough reviews."""
    optimisation.optimise(learner=None)
    for learner_id in optimisation.learners_with_enough_reviews():
        optimise_learner_parameters.delay_on_commit(learner_id)


@shared_task(soft_time_limit=600, time_limit=720)
def optimise_learner_parameters(learner_id: int) -> None:
    learner = User.objects.filter(pk=learner_id).first()
    if learner is not None:  # deleted since the beat task listed them
        optimisation.optimise(learner=learner)
