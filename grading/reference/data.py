"""Reference sliding-window data for chapter 2 (``GPTDatasetV1`` / ``create_dataloader_v1``).

Plain lists of token ids: the judge encodes the hidden text with the reference GPT-2
encoding (``grading.reference.tokenizer``) and cuts the windows the book's dataset cuts.
Keyword options reproduce common mistakes, to name them.
"""

from __future__ import annotations

from collections.abc import Sequence

Window = tuple[list[int], list[int]]
Batch = tuple[list[list[int]], list[list[int]]]


def windows(
    ids: Sequence[int],
    max_length: int,
    stride: int,
    *,
    end_offset: int = 0,
    target_shift: int = 1,
) -> list[Window]:
    """``(input, target)`` pairs for ``i in range(0, len(ids) - max_length, stride)``:
    ``ids[i:i + max_length]`` and ``ids[i + 1:i + max_length + 1]``.

    ``end_offset`` moves the end of the range (``+1``: one window too many; ``max_length``:
    windows running past the end), ``target_shift=0`` gives targets equal to the inputs.
    """
    ids = list(ids)
    out: list[Window] = []
    for i in range(0, len(ids) - max_length + end_offset, stride):
        out.append((ids[i : i + max_length], ids[i + target_shift : i + max_length + target_shift]))
    return out


def batches(items: Sequence[Window], batch_size: int, *, drop_last: bool) -> list[Batch]:
    """Consecutive items stacked into batches (rows of ids), as a DataLoader without shuffling."""
    out: list[Batch] = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        if drop_last and len(chunk) < batch_size:
            break
        out.append(([x for x, _ in chunk], [y for _, y in chunk]))
    return out
