"""The tokenizer playground (/play/tokenizer/): GPT-2 BPE next to the book's
SimpleTokenizerV2 for the learner's own text."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from accelerator.http import HttpRequest
from playgrounds import tokenizer as tokenization

# A link with the text in it stays well below gunicorn's 4,094-byte request line.
MAX_LINK_LENGTH = 2000


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def tokenizer(request: HttpRequest) -> HttpResponse:
    """One view, two renders: the full page or, for htmx as the learner types, the
    ``tokenizer-result`` partial.

    The form POSTs its text: 2,000 characters of accents or emoji are up to 24 KB once
    URL-encoded, more than a request line may hold (gunicorn stops at 4 KB). GET takes the
    same ``text`` parameter, for the example links and for links to short texts; after an
    htmx update the address bar shows such a link (``HX-Replace-Url``). The page is marked
    ``hx-history="false"``: htmx would otherwise copy the whole page, up to half a megabyte
    of spans, into sessionStorage on every update.

    Tokenizing takes a few milliseconds (the GPT-2 encoding is built once per process), so
    it runs here rather than on a worker. Text over the limit stays in the box and gets a
    message (status 400).
    """
    params = request.POST if request.method == "POST" else request.GET
    explanation = tokenization.explain(params)
    given, bpe, simple = explanation.input, explanation.bpe, explanation.simple
    url = reverse("playgrounds:tokenizer")
    show_ids = params.get("ids") == "1"
    link = None if given.error or given.is_example else _link(url, given.text, show_ids)
    context = {
        "explanation": explanation,
        "given": given,
        "bpe": bpe,
        "simple": simple,
        "corpus": tokenization.corpus(),
        "max_chars": tokenization.MAX_CHARS,
        "max_table_rows": tokenization.MAX_TABLE_ROWS,
        "example": tokenization.EXAMPLE,
        "show_ids": show_ids,
        "link": link,
        "examples": [
            (label, f"{url}?{urlencode({'text': text})}") for label, text in tokenization.EXAMPLES
        ],
    }
    if bpe is not None:
        context["bpe_tokens_html"] = bpe_tokens_html(bpe.pieces)
        context["bpe_ids_html"] = ids_html(bpe.ids)
        context["bpe_table_html"] = bpe_table_html(bpe.tokens[: tokenization.MAX_TABLE_ROWS])
    if simple is not None:
        context["simple_tokens_html"] = simple_tokens_html(simple.tokens)
        context["simple_ids_html"] = ids_html(simple.ids)
    # htmx restoring history asks for the whole page (with HX-Request set).
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "playgrounds/tokenizer.html"
    if partial:
        template += "#tokenizer-result"
    status = 400 if given.error else 200
    response = render(request, template, context, status=status)
    if partial and not given.error:
        replace_url(response, link or url)
    return response


def _link(url: str, text: str, show_ids: bool) -> str | None:
    """A GET address that shows this text again, when it is short enough to be one."""
    query = urlencode({"text": text, **({"ids": "1"} if show_ids else {})})
    link = f"{url}?{query}"
    return link if len(link) <= MAX_LINK_LENGTH else None


# --- HTML fragments ---------------------------------------------------------------------------
# The token spans, id lists and table are joined here rather than looped over in the
# template: Django's template engine spends about 0.1 ms per loop iteration, so 6,000 tokens
# (2,000 characters of 4-byte symbols) took a second; these joins take a few milliseconds.
# Everything that comes from the text goes through ``html.escape``.


def visible(text: str) -> SafeString:
    """HTML for ``text`` with whitespace and control characters made visible, each mark in
    a muted ``<span class="ws">``."""
    return mark_safe(_visible(text))


def _visible(text: str) -> str:
    parts = []
    for char in text:
        mark = tokenization.mark(char)
        parts.append(f'<span class="ws">{mark}</span>' if mark else html.escape(char))
    return "".join(parts)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def bpe_tokens_html(pieces: Sequence[tokenization.BpePiece]) -> SafeString:
    """One span per piece: ``data-ids`` holds its id(s), ``title`` explains it; a piece that
    holds a new line is followed by a line break."""
    parts = []
    for piece in pieces:
        classes = f"tok c{piece.colour}"
        if piece.is_split:
            classes += " tok-split"
        if piece.is_special:
            classes += " tok-special"
        parts.append(
            f'<span class="{classes}" data-ids="{piece.ids}" title="{_attr(piece.title)}">'
            f"{_visible(piece.text)}</span>" + "<br>" * piece.text.count("\n")
        )
    return mark_safe("".join(parts))


def simple_tokens_html(tokens: Sequence[tokenization.WordToken]) -> SafeString:
    parts = []
    for token in tokens:
        classes = f"tok c{token.colour}"
        if token.unknown:
            classes += " tok-unk"
        if token.special:
            classes += " tok-special"
        parts.append(
            f'<span class="{classes}" data-ids="{token.id}" title="{_attr(token.title)}">'
            f"{_visible(token.text)}</span>"
        )
    return mark_safe("".join(parts))


def ids_html(ids: Sequence[int]) -> SafeString:
    """The ids as Python prints the list, one span per id (hovering one lights its token)."""
    return mark_safe("[" + ", ".join(f"<span>{int(i)}</span>" for i in ids) + "]")


def bpe_table_html(tokens: Sequence[tokenization.BpeToken]) -> SafeString:
    rows = []
    for token in tokens:
        partial = ' class="is-partial"' if token.partial else ""
        rows.append(
            f"<tr{partial}><td>{token.index}</td><td>{token.id}</td>"
            f"<td><code>{html.escape(token.shown)}</code></td><td><code>{token.hex}</code></td></tr>"
        )
    return mark_safe("".join(rows))
