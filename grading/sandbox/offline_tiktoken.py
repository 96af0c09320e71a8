"""Make ``tiktoken.get_encoding("gpt2")`` work without network (DESIGN.md section 7).

tiktoken downloads GPT-2's vocabulary on first use; the grading sandbox has no network. The
same BPE ranks ship inside the ``openai-whisper`` package as ``whisper/assets/gpt2.tiktoken``.
We build the real GPT-2 encoding from that file and put it into tiktoken's registry dict,
which ``get_encoding`` consults before it tries to download anything.

Usable on both sides: the zygote registers it once before forking (so every child inherits
it), and trusted code (reference implementations, tests) may call ``register()`` too.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os

# sha256 of whisper's gpt2.tiktoken (identical ranks to tiktoken's r50k_base).
GPT2_RANKS_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
ENDOFTEXT = "<|endoftext|>"
ENDOFTEXT_ID = 50256
N_VOCAB = 50257


def find_ranks_file(fallback: str | None = None) -> str | None:
    """Locate ``whisper/assets/gpt2.tiktoken`` without importing whisper (which would pull
    in numba & co.); ``fallback`` is a path the caller knows (e.g. passed by the pool)."""
    try:
        spec = importlib.util.find_spec("whisper")
    except (ImportError, ValueError):
        spec = None
    candidates = []
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidates.append(os.path.join(location, "assets", "gpt2.tiktoken"))
    if fallback:
        candidates.append(fallback)
    for path in candidates:
        if os.path.isfile(path):
            return path
    return None


def load_ranks(path: str, *, check_hash: bool = True) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file (lines of ``base64(token) rank``)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if check_hash and hashlib.sha256(data).hexdigest() != GPT2_RANKS_SHA256:
        raise ValueError(f"{path}: unexpected sha256, not the GPT-2 ranks")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def build_encoding(path: str):  # -> tiktoken.Encoding (imported lazily)
    import tiktoken
    from tiktoken_ext.openai_public import r50k_pat_str

    return tiktoken.Encoding(
        name="gpt2",
        explicit_n_vocab=N_VOCAB,
        pat_str=r50k_pat_str,
        mergeable_ranks=load_ranks(path),
        special_tokens={ENDOFTEXT: ENDOFTEXT_ID},
    )


def register(fallback: str | None = None) -> str:
    """Register the offline "gpt2" encoding; returns a one-line status for diagnostics.

    Never raises: a missing asset means learner code calling ``get_encoding("gpt2")`` fails
    the way it would anywhere offline, and the status says why.
    """
    try:
        import tiktoken.registry
    except ImportError as exc:
        return f"tiktoken gpt2: unavailable (tiktoken not importable: {exc})"
    if "gpt2" in tiktoken.registry.ENCODINGS:
        return "tiktoken gpt2: already registered"
    path = find_ranks_file(fallback)
    if path is None:
        return (
            "tiktoken gpt2: NOT registered (whisper/assets/gpt2.tiktoken not found; "
            "install openai-whisper or set GRADING_GPT2_TIKTOKEN)"
        )
    try:
        encoding = build_encoding(path)
    except Exception as exc:  # report, never break the sandbox start-up
        return f"tiktoken gpt2: NOT registered ({type(exc).__name__}: {exc})"
    tiktoken.registry.ENCODINGS["gpt2"] = encoding
    return f"tiktoken gpt2: registered offline from {path}"
