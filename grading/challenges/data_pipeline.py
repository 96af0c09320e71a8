"""Chapter 2 challenge ``data-pipeline``: GPTDatasetV1 and create_dataloader_v1.

The sandbox builds the learner's dataset on hidden text with tiktoken's ``gpt2`` encoding
(registered offline there) -- or with a code-point tokenizer, to see that the dataset uses
the tokenizer it is given -- and iterates the learner's DataLoader; the judge re-encodes the
text with the reference encoding and cuts the book's windows (``grading.reference.data``).
Texts always hold more than max_length + 1 tokens (BOOK.md: shorter ones are not probed).
"""

from __future__ import annotations

from pathlib import Path

from grading.challenges import register
from grading.challenges.base import ChallengeSpec
from grading.challenges.data_pipeline_dataset import (
    DATASET,
    LOADER,
    endoftext_check,
    strides_check,
    tokenizer_check,
    windows_check,
)
from grading.challenges.data_pipeline_loader import batches_check, defaults_check, shuffle_check

STARTERS = Path(__file__).parent / "starters"

DATA_PIPELINE = register(
    ChallengeSpec(
        slug="data-pipeline",
        names=(DATASET, LOADER),
        starter=(STARTERS / "data_pipeline.py").read_text(encoding="utf-8"),
        checks=(
            windows_check("dataset_windows"),
            strides_check("dataset_counts_for_strides"),
            tokenizer_check("dataset_uses_given_tokenizer"),
            endoftext_check("dataset_allows_endoftext"),
            batches_check("loader_batches_in_order", drop_last=False),
            batches_check("loader_drop_last", drop_last=True),
            shuffle_check("loader_shuffles"),
            defaults_check("loader_defaults"),
        ),
    )
)
