from __future__ import annotations

from celery import shared_task

from playgrounds import jobs


@shared_task(acks_late=True, soft_time_limit=150, time_limit=180)
def run_playground(run_id: str) -> None:
    """Run one playground computation (the queue is chosen per job at send time)."""
    jobs.execute(run_id)
