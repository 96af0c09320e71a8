"""Registry of gradable challenges, keyed by the fixed challenge slugs (DESIGN.md §4)."""

from __future__ import annotations

from grading.challenges.base import ChallengeSpec

SPECS: dict[str, ChallengeSpec] = {}


def register(spec: ChallengeSpec) -> ChallengeSpec:
    SPECS[spec.slug] = spec
    return spec


def get_spec(slug: str) -> ChallengeSpec | None:
    _load_all()
    return SPECS.get(slug)


def gradable_slugs() -> list[str]:
    _load_all()
    return sorted(SPECS)


def _load_all() -> None:
    # Importing a challenge module registers its spec; add new modules here.
    from grading.challenges import (  # noqa: F401
        attention,
        classification_finetune,
        data_pipeline,
        embeddings,
        gpt_model,
        instruction_finetune,
        model_io,
        sampling,
        text_generation,
        tokenizer,
        training,
        transformer_block,
    )
