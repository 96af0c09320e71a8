"""Chapter 3 challenges: ``self-attention``, ``causal-attention``, ``multi-head-attention``.

Every check follows the same forge-proof pattern (SANDBOX.md, base.py):

1. ``build(rng)`` draws sizes, inputs and -- for most checks -- weights on the trusted side;
2. the sandbox instantiates the learner's class by name (``grading.sandbox.probes``),
   loads those weights by the book's parameter names, runs forward and returns raw outputs;
3. ``judge`` recomputes the expected values from the *probe's own* weights and inputs with
   ``grading.reference.attention`` and compares. Nothing the learner reports about
   correctness is trusted; when the reference does not match, mistake variants of the
   reference are tried so the message can *name* the mistake.

The package: ``arch`` (the classes as data, random and crafted inputs), ``runs`` (probes and
reading results), ``basic_checks``, ``weight_checks`` and ``mask_checks`` (check factories).

Attention weights are not an output of the book's classes, so checks about them (rows sum to
one, causality, the sqrt(d_k) scale, dropout) *recover* them from the output: the judge crafts
the value projection so that the values ``V`` of a one-sequence input have orthonormal rows
(``num_tokens <= d_k``), then ``output = weights @ V`` gives ``weights = output @ pinv(V)``
exactly -- and through ``out_proj`` (an orthogonal matrix) for MultiHeadAttention. The
wrapper's per-head weights are not recovered (its heads are the learner's CausalAttention,
already covered there and by the wrapper's reference check).
"""

from __future__ import annotations

from pathlib import Path

from grading.challenges import register
from grading.challenges.attention.arch import (
    CARD_COMPLEXITY,
    CARD_DROPOUT,
    CARD_HEADS,
    CARD_MASK,
    CARD_QKV,
    CARD_SCALED,
    CARD_SELF,
    CARD_SPLITS,
    CAUSAL,
    MHA,
    V1,
    V2,
    VID_CAUSAL,
    VID_COMPACT,
    VID_DROPOUT,
    VID_MASK,
    VID_SIMPLE,
    VID_SPLIT,
    VID_STACK,
    VID_STEPS,
    VID_WEIGHTS,
    WRAPPER,
)
from grading.challenges.attention.basic_checks import (
    output_shape_check,
    own_weights_check,
    reference_check,
    weight_shapes_check,
)
from grading.challenges.attention.mask_checks import (
    causality_check,
    divisible_check,
    eval_deterministic_check,
    mask_buffer_check,
    shorter_context_check,
    split_equals_wrapper_check,
    train_dropout_check,
)
from grading.challenges.attention.weight_checks import (
    rows_check,
    scale_check,
)
from grading.challenges.base import ChallengeSpec

STARTERS = Path(__file__).parent.parent / "starters"

# --- The three challenges ---------------------------------------------------------------------


def _starter(name: str) -> str:
    return (STARTERS / name).read_text(encoding="utf-8")


SELF_ATTENTION = register(
    ChallengeSpec(
        slug="self-attention",
        names=(V1.cls, V2.cls),
        starter=_starter("self_attention.py"),
        checks=(
            weight_shapes_check(V1, "v1_weight_shapes", video=VID_STEPS, card=CARD_QKV),
            output_shape_check(V1, "v1_output_shape", video=VID_COMPACT, card=CARD_SELF),
            reference_check(V1, "v1_matches_reference", video=VID_COMPACT, card=CARD_SCALED),
            own_weights_check(V1, "v1_own_weights", video=VID_STEPS, card=CARD_QKV),
            weight_shapes_check(V2, "v2_weight_shapes", video=VID_COMPACT, card=CARD_QKV),
            output_shape_check(V2, "v2_output_shape", video=VID_COMPACT, card=CARD_COMPLEXITY),
            reference_check(V2, "v2_matches_reference", video=VID_COMPACT, card=CARD_SCALED),
            reference_check(V2, "v2_qkv_bias", video=VID_COMPACT, card=CARD_QKV, qkv_bias=True),
            own_weights_check(V2, "v2_own_weights", video=VID_COMPACT, card=CARD_QKV),
            rows_check((V1, V2), "attention_rows_sum_to_one", video=VID_SIMPLE, card=CARD_SELF),
            scale_check((V1, V2), "scaled_by_sqrt_dk", video=VID_WEIGHTS, card=CARD_SCALED),
        ),
    )
)

CAUSAL_ATTENTION = register(
    ChallengeSpec(
        slug="causal-attention",
        names=(CAUSAL.cls,),
        starter=_starter("causal_attention.py"),
        checks=(
            weight_shapes_check(CAUSAL, "weight_shapes", video=VID_CAUSAL, card=CARD_QKV),
            mask_buffer_check(CAUSAL, "mask_buffer", video=VID_MASK, card=CARD_MASK),
            output_shape_check(CAUSAL, "output_shape", video=VID_CAUSAL, card=CARD_MASK),
            reference_check(CAUSAL, "matches_reference", video=VID_CAUSAL, card=CARD_MASK),
            reference_check(CAUSAL, "qkv_bias", video=VID_CAUSAL, card=CARD_QKV, qkv_bias=True),
            own_weights_check(CAUSAL, "own_weights", video=VID_CAUSAL, card=CARD_MASK),
            rows_check((CAUSAL,), "causal_attention_weights", video=VID_MASK, card=CARD_MASK),
            scale_check((CAUSAL,), "scaled_by_sqrt_dk", video=VID_CAUSAL, card=CARD_SCALED),
            causality_check(CAUSAL, "no_future_leak", video=VID_MASK, card=CARD_MASK),
            shorter_context_check(CAUSAL, "shorter_than_context", video=VID_CAUSAL, card=CARD_MASK),
            eval_deterministic_check(
                CAUSAL, "eval_is_deterministic", video=VID_DROPOUT, card=CARD_DROPOUT
            ),
            train_dropout_check(
                CAUSAL, "dropout_in_train_mode", video=VID_DROPOUT, card=CARD_DROPOUT
            ),
        ),
    )
)

MULTI_HEAD_ATTENTION = register(
    ChallengeSpec(
        slug="multi-head-attention",
        names=(WRAPPER.cls, MHA.cls),
        starter=_starter("multi_head_attention.py"),
        checks=(
            weight_shapes_check(WRAPPER, "wrapper_heads", video=VID_STACK, card=CARD_HEADS),
            output_shape_check(WRAPPER, "wrapper_output_shape", video=VID_STACK, card=CARD_HEADS),
            reference_check(WRAPPER, "wrapper_matches_reference", video=VID_STACK, card=CARD_HEADS),
            eval_deterministic_check(
                WRAPPER, "wrapper_eval_is_deterministic", video=VID_STACK, card=CARD_DROPOUT
            ),
            divisible_check("mha_requires_divisible_d_out", video=VID_SPLIT, card=CARD_SPLITS),
            weight_shapes_check(MHA, "mha_weight_shapes", video=VID_SPLIT, card=CARD_SPLITS),
            mask_buffer_check(MHA, "mha_mask_buffer", video=VID_SPLIT, card=CARD_MASK),
            output_shape_check(MHA, "mha_output_shape", video=VID_SPLIT, card=CARD_SPLITS),
            reference_check(MHA, "mha_matches_reference", video=VID_SPLIT, card=CARD_SPLITS),
            reference_check(MHA, "mha_qkv_bias", video=VID_SPLIT, card=CARD_QKV, qkv_bias=True),
            own_weights_check(MHA, "mha_own_weights", video=VID_SPLIT, card=CARD_SPLITS),
            rows_check((MHA,), "mha_head_attention_weights", video=VID_SPLIT, card=CARD_HEADS),
            scale_check((MHA,), "mha_scaled_by_sqrt_head_dim", video=VID_SPLIT, card=CARD_SPLITS),
            causality_check(MHA, "mha_no_future_leak", video=VID_SPLIT, card=CARD_MASK),
            shorter_context_check(MHA, "mha_shorter_than_context", video=VID_SPLIT, card=CARD_MASK),
            eval_deterministic_check(
                MHA, "mha_eval_is_deterministic", video=VID_SPLIT, card=CARD_DROPOUT
            ),
            train_dropout_check(
                MHA, "mha_dropout_in_train_mode", video=VID_SPLIT, card=CARD_DROPOUT
            ),
            split_equals_wrapper_check(
                "heads_split_equals_wrapper", video=VID_SPLIT, card=CARD_SPLITS
            ),
        ),
    )
)
