"""The embedding explorer's computation (/play/embeddings/): train the small skip-gram
embedding on the shipped corpus, project the 300 most frequent words to 2-D and find
their neighbours (playgrounds/embeddings.py). A few seconds of CPU, so it runs on a
worker; the same parameters give the same result for everyone (seeded), so it is shared.
"""

from __future__ import annotations

import sys
from typing import Any

from playgrounds import embeddings, jobs


@jobs.job("embedding-train", shareable=True, timeout_s=90)
def train_embedding(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    trained = params.get("trained") is True
    settings = embeddings.parse(
        {
            "dim": str(params.get("dim", "")),
            # An untrained embedding has no epochs (stored as 0).
            "epochs": str(params.get("epochs") if trained else embeddings.DEFAULT_EPOCHS),
            "projection": str(params.get("projection", "")),
            "trained": "yes" if trained else "no",
        }
    )
    if settings.errors:  # the view validated these; a hand-made run may not have
        raise jobs.PlaygroundError(" ".join(settings.errors.values()))
    if "torch" not in sys.modules:  # the worker's first embedding: a few seconds
        progress(0.0, "Loading PyTorch on the worker")
    import torch

    torch.set_num_threads(1)  # a shared worker: one core per computation
    progress(0.0, "Training the embedding" if settings.trained else "Initialising the embedding")
    return embeddings.explore(settings.params(), progress)
