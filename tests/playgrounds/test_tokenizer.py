"""The tokenizer playground page (/play/tokenizer/) and its logic (playgrounds/tokenizer.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from playgrounds import tokenizer
from playgrounds.views import tokenizer as views

URL = "/play/tokenizer/"
# The book's section 2.5 sentence and the ids tiktoken's "gpt2" gives it.
BOOK_BPE_TEXT = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
BOOK_BPE_IDS = [
    15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554,
    262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13,
]  # fmt: skip
# Section 2.4: SimpleTokenizerV2 on the example, with the vocabulary of "The Verdict".
BOOK_SIMPLE_IDS = [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]
BOOK_SIMPLE_DECODED = (
    "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>."
)
# Section 2.3: SimpleTokenizerV1's example (every word is in the vocabulary).
BOOK_V1_TEXT = '"It\'s the last he painted, you know," Mrs. Gisburn said with pardonable pride.'
BOOK_V1_IDS = [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754]
BOOK_V1_IDS += [793, 7]


# --- GPT-2 BPE -------------------------------------------------------------------------------


def test_it_gives_the_books_gpt2_ids() -> None:
    assert tokenizer.bpe_encode(BOOK_BPE_TEXT) == BOOK_BPE_IDS
    assert tokenizer.bpe_encode("Akwirw ier") == [33901, 86, 343, 86, 220, 959]  # exercise 2.1


def test_it_encodes_the_end_of_text_token_as_one_special_token() -> None:
    result = tokenizer.bpe("tea <|endoftext|>")
    assert result.ids == (660, 64, 220, 50256)
    special = [piece for piece in result.pieces if piece.is_special]
    assert len(special) == 1 and special[0].text == "<|endoftext|>"
    assert "(special token)" in special[0].title
    # "<|unk|>" means nothing to GPT-2: ordinary text, several tokens.
    assert len(tokenizer.bpe_encode("<|unk|>")) > 1


def test_it_builds_the_encoding_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken.load
    import tiktoken.registry

    def no_download(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("tiktoken tried to download")

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_download)
    monkeypatch.delitem(tiktoken.registry.ENCODINGS, "gpt2", raising=False)
    tokenizer.gpt2_encoding.cache_clear()
    try:
        assert tokenizer.gpt2_encoding().n_vocab == 50257
        assert tokenizer.bpe_encode("Hello") == [15496]
    finally:
        tokenizer.gpt2_encoding.cache_clear()


@pytest.fixture
def no_gpt2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server without whisper's ranks file (and no network)."""
    import tiktoken.load
    import tiktoken.registry

    from grading.sandbox import offline_tiktoken

    def offline(*args: object, **kwargs: object) -> bytes:
        raise OSError("no network")

    monkeypatch.setattr(offline_tiktoken, "find_ranks_file", lambda fallback=None: None)
    monkeypatch.setattr(tiktoken.load, "read_file", offline)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", offline)
    monkeypatch.delitem(tiktoken.registry.ENCODINGS, "gpt2", raising=False)
    tokenizer.gpt2_encoding.cache_clear()
    yield
    tokenizer.gpt2_encoding.cache_clear()


@pytest.mark.usefixtures("no_gpt2")
def test_it_says_why_gpt2_is_missing_and_still_runs_the_simple_tokenizer() -> None:
    explanation = tokenizer.explain({"text": "Hello"})
    assert explanation.bpe is None
    assert explanation.bpe_unavailable is not None
    assert "gpt2.tiktoken not found" in explanation.bpe_unavailable
    assert explanation.simple is not None and explanation.simple.ids == (1131,)


def test_it_groups_tokens_that_only_decode_together() -> None:
    result = tokenizer.bpe("Hi 👋🏽 café")
    # 👋 is F0 9F 91 8B: GPT-2 has " F0 9F 91" (with the space) and "8B"; 🏽 takes 3 tokens.
    assert [piece.text for piece in result.pieces] == ["Hi", " 👋", "🏽", " café"]
    wave, tone = result.pieces[1], result.pieces[2]
    assert [token.id for token in wave.tokens] == [50169, 233] and wave.is_split
    assert len(tone.tokens) == 3 and tone.is_split
    assert not result.pieces[3].is_split  # é is whole inside " café"
    assert "5 UTF-8 bytes split over 2 tokens" in wave.title
    assert "50169 = 20 F0 9F 91, 233 = 8B" in wave.title
    partial = [token for token in result.tokens if token.partial]
    assert [token.shown for token in partial][:2] == ["⟨20 F0 9F 91⟩", "⟨8B⟩"]
    assert result.split_pieces == 2


@pytest.mark.parametrize(
    "text",
    ["日本語のテキスト", "naïve déjà vu", "👨‍👩‍👧 family", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a\tb\n\nc  d", "Ünïcödé\r"],
)
def test_it_never_shows_a_replacement_character(text: str) -> None:
    result = tokenizer.bpe(text)
    assert "".join(piece.text for piece in result.pieces) == text
    assert all("\ufffd" not in piece.text for piece in result.pieces)
    assert sum(len(piece.tokens) for piece in result.pieces) == len(result.ids)
    assert result.round_trip and result.decoded == text
    html = views.bpe_tokens_html(result.pieces)
    assert "\ufffd" not in html and html.count('class="tok ') == len(result.pieces)


def test_it_makes_whitespace_visible_and_escapes_the_text() -> None:
    assert tokenizer.plain_visible(" a\tb\n") == "·a⇥b↵"
    html = views.visible("<b> x\n")
    assert html == '&lt;b&gt;<span class="ws">·</span>x<span class="ws">↵</span>'
    assert tokenizer.plain_visible("\x00\x7f\u00a0\u3000") == "␀␡⍽·"
    result = tokenizer.bpe('<script>alert("x")</script>\n')
    tokens_html = views.bpe_tokens_html(result.pieces)
    assert "<script>" not in tokens_html and "<script>" not in views.bpe_table_html(result.tokens)
    assert tokens_html.endswith("</span><br>")  # the new line breaks the line too
    words_html = views.simple_tokens_html(tokenizer.simple("<b>\x00</b>").tokens)
    assert "<b>" not in words_html and '<span class="ws">␀</span>' in words_html


def test_it_never_gives_two_neighbours_the_same_colour() -> None:
    result = tokenizer.bpe("the the the the" * 5)
    colours = [piece.colour for piece in result.pieces]
    assert all(a != b for a, b in zip(colours, colours[1:], strict=False))
    # the same token keeps its colour where its neighbours allow
    assert tokenizer._colours([8, 3, 8]) == [0, 3, 0]


# --- The book's simple tokenizer ---------------------------------------------------------------


def test_it_builds_the_books_vocabulary_from_the_verdict() -> None:
    corpus = tokenizer.corpus()
    assert corpus.characters == 20479 and corpus.tokens == 4690  # the book's counts
    assert corpus.vocab_size == 1132
    vocab = corpus.tokenizer.str_to_int
    assert vocab["<|endoftext|>"] == 1130 and vocab["<|unk|>"] == 1131
    assert list(vocab)[:3] == ["!", '"', "'"]


def test_it_gives_the_books_simple_tokenizer_ids_and_unknown_words() -> None:
    result = tokenizer.simple(tokenizer.EXAMPLE)
    assert list(result.ids) == BOOK_SIMPLE_IDS
    assert result.decoded == BOOK_SIMPLE_DECODED
    assert result.unknown_words == ("Hello", "palace")
    assert result.unknown_count == 2
    assert [token.text for token in result.tokens if token.unknown] == ["Hello", "palace"]
    assert not result.round_trip
    assert result.losses == ("unknown words come back as <|unk|>",)
    endoftext = result.tokens[7]
    assert endoftext.special and not endoftext.unknown and endoftext.id == 1130


def test_it_decodes_like_the_book_removing_spaces_before_punctuation() -> None:
    v2 = tokenizer.corpus().tokenizer
    assert v2.encode(BOOK_V1_TEXT) == BOOK_V1_IDS
    assert v2.decode(BOOK_V1_IDS) == (
        '" It\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.'
    )
    assert v2.decode([v2.str_to_int[w] for w in ["Yes", ":", "no", ";", "Yes"]]) == "Yes: no; Yes"
    result = tokenizer.simple(BOOK_V1_TEXT)
    assert result.unknown_words == () and result.spacing_changed
    assert result.losses[0].startswith("spacing is rebuilt")


def test_it_round_trips_known_words_with_plain_spacing() -> None:
    result = tokenizer.simple("It was the last he painted, you know.")
    assert result.round_trip and result.losses == ()


def test_it_treats_a_typed_unk_token_as_known() -> None:
    result = tokenizer.simple("<|unk|> tea")
    assert result.ids == (1131, 975) and result.unknown_words == ()
    assert result.tokens[0].special and not result.tokens[0].unknown


def test_it_lists_at_most_forty_unknown_words() -> None:
    result = tokenizer.simple(" ".join(f"zz{i}" for i in range(45)))
    assert result.unknown_list.startswith("“zz0”, “zz1”")
    assert result.unknown_list.endswith("“zz39” and 5 more")


# --- Input -------------------------------------------------------------------------------------


def test_it_shows_the_books_example_when_there_is_no_text() -> None:
    fresh = tokenizer.parse({})
    assert fresh.typed == fresh.text == tokenizer.EXAMPLE and fresh.is_example
    emptied = tokenizer.parse({"text": ""})
    assert emptied.typed == "" and emptied.text == tokenizer.EXAMPLE and emptied.is_example
    spaces = tokenizer.parse({"text": "  "})  # spaces are text too: GPT-2 has tokens for them
    assert spaces.text == "  " and not spaces.is_example


def test_it_counts_a_typed_new_line_as_one_character() -> None:
    given = tokenizer.parse({"text": "a\r\nb" + "c" * 1997})
    assert given.text == "a\nb" + "c" * 1997 and given.error is None


def test_it_refuses_text_over_the_limit_and_keeps_it() -> None:
    text = "é" * 2000
    assert tokenizer.parse({"text": text}).error is None
    given = tokenizer.parse({"text": text + "xyz"})
    assert given.error == (
        "Your text is 2,003 characters long; the playground tokenizes at most 2,000. "
        "Shorten it by 3 characters (your text is still in the box)."
    )
    assert given.typed == text + "xyz" and given.text == ""


def test_it_refuses_a_lone_surrogate() -> None:
    given = tokenizer.parse({"text": "a\ud800b"})
    assert given.error is not None and "lone surrogate" in given.error


# --- The page ----------------------------------------------------------------------------------


def test_it_is_named_and_routed() -> None:
    assert reverse("playgrounds:tokenizer") == URL


def _ids(html: str, panel: str) -> list[int]:
    block = html.split(f'id="{panel}"')[1].split("</code>")[0]
    return [int(i) for i in re.findall(r"<span>(\d+)</span>", block)]


@pytest.mark.django_db
def test_it_renders_the_books_example_for_both_tokenizers(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tokenizer playground" in html
    assert f">{tokenizer.EXAMPLE.replace('<', '&lt;').replace('>', '&gt;')}</textarea>" in html
    assert _ids(html, "bpe-ids") == tokenizer.bpe_encode(tokenizer.EXAMPLE)
    assert _ids(html, "simple-ids") == BOOK_SIMPLE_IDS
    assert 'data-ids="50256"' in html and 'data-ids="1130"' in html
    assert html.count("tok-unk") >= 2 and "“Hello”, “palace”" in html
    assert "1,132 entries" in html and "The Verdict" in html
    assert 'id="bpe-roundtrip"' in html and "gives back exactly your text" in html
    assert 'id="simple-roundtrip"' in html and "loses information" in html
    assert '<script src="/static/js/tokenizer.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/tokenizer.css">' in html
    assert "style=" not in html.split('id="tokenizer-form"')[1]  # CSP: no inline styles
    assert response.headers["Vary"].count("HX-Request") == 1


@pytest.mark.django_db
def test_it_renders_the_learners_text(client: Client) -> None:
    response = client.post(URL, {"text": "Hi 👋🏽\r\nunbelievably", "ids": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-ids="50169 233"' in html and "tok-split" in html
    assert _ids(html, "bpe-ids") == tokenizer.bpe_encode("Hi 👋🏽\nunbelievably")
    assert '<span class="ws">↵</span></span><br>' in html
    assert 'name="ids" value="1" checked' in html
    assert "The book’s example" not in html.split('id="tokenizer-result"')[1]
    link = "/play/tokenizer/?text=Hi+%F0%9F%91%8B%F0%9F%8F%BD%0Aunbelievably&amp;ids=1"
    assert f'href="{link}"' in html  # a link to show it again


@pytest.mark.django_db
def test_it_takes_the_text_from_a_link_too(client: Client) -> None:
    response = client.get(URL, {"text": "Akwirw ier"})
    assert response.status_code == 200
    assert _ids(response.content.decode(), "bpe-ids") == [33901, 86, 343, 86, 220, 959]


@pytest.mark.django_db
def test_it_renders_only_the_result_for_htmx(client: Client) -> None:
    response = client.post(URL, {"text": "tea"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<div id="tokenizer-result"') and "<textarea" not in html
    assert _ids(html, "bpe-ids") == [660, 64] and _ids(html, "simple-ids") == [975]
    assert response.headers["HX-Replace-Url"] == "/play/tokenizer/?text=tea"


@pytest.mark.django_db
def test_it_renders_the_whole_page_when_htmx_restores_history(client: Client) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client.get(URL, {"text": "tea"}, headers=headers)
    html = response.content.decode()
    assert response.status_code == 200 and "<textarea" in html and "<html" in html
    assert 'hx-history="false"' in html  # no page snapshots in sessionStorage
    assert "HX-Replace-Url" not in response.headers


@pytest.mark.django_db
def test_it_keeps_long_texts_out_of_the_address(client: Client) -> None:
    text = "é" * 2000  # 12,000 bytes URL-encoded: too long for a request line
    response = client.post(URL, {"text": text}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Replace-Url"] == "/play/tokenizer/"
    assert 'id="tok-link"' not in response.content.decode()
    html = client.post(URL, {"text": ""}, headers={"HX-Request": "true"})
    assert html.headers["HX-Replace-Url"] == "/play/tokenizer/"  # the example


@pytest.mark.django_db
def test_it_shows_the_example_for_an_empty_box_and_leaves_the_box_empty(client: Client) -> None:
    html = client.post(URL, {"text": ""}).content.decode()
    assert '"></textarea>' in html
    assert "The book’s example" in html
    assert _ids(html, "simple-ids") == BOOK_SIMPLE_IDS


@pytest.mark.django_db
def test_it_explains_text_over_the_limit_and_keeps_it_in_the_box(client: Client) -> None:
    text = "tea " * 500 + "and cake"
    response = client.post(URL, {"text": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your text is 2,008 characters long" in html and "Shorten it by 8 characters" in html
    assert f">{text}</textarea>" in html
    assert "2,008 / 2,000 characters" in html and "is-over" in html
    assert 'id="bpe-tokens"' not in html  # nothing half-tokenized

    partial = client.post(URL, {"text": text}, headers={"HX-Request": "true"})
    assert partial.status_code == 400
    assert "HX-Replace-Url" not in partial.headers
    assert "Your text is 2,008 characters long" in partial.content.decode()
    assert "<textarea" not in partial.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_gpt2")
def test_it_still_serves_the_page_without_gpt2(client: Client) -> None:
    response = client.post(URL, {"text": "tea"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="bpe-unavailable"' in html and _ids(html, "simple-ids") == [975]


@pytest.mark.django_db
def test_it_lists_every_id_but_caps_the_token_table(client: Client) -> None:
    text = "a b " * 300
    ids = tokenizer.bpe_encode(text)
    assert len(ids) > tokenizer.MAX_TABLE_ROWS
    html = client.post(URL, {"text": text}).content.decode()
    assert _ids(html, "bpe-ids") == ids
    table = html.split('class="tok-table"')[1].split("</table>")[0]
    assert table.count("<tr") == tokenizer.MAX_TABLE_ROWS + 1  # and the header
    assert f"The first 200 of {len(ids)} tokens" in html


@pytest.mark.django_db
def test_it_escapes_the_learners_text(client: Client) -> None:
    html = client.post(URL, {"text": '<img src=x onerror="alert(1)">'}).content.decode()
    assert "<img src=x" not in html and "&lt;img" in html


@pytest.mark.django_db
def test_it_links_examples_that_all_render(client: Client) -> None:
    html = client.get(URL).content.decode()
    links = re.findall(r'href="(/play/tokenizer/\?text=[^"]+)"', html)
    assert len(links) == len(tokenizer.EXAMPLES)
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200


@pytest.mark.django_db
def test_it_refuses_other_methods(client: Client) -> None:
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


@pytest.mark.django_db
def test_it_needs_the_csrf_token_to_post() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, {"text": "tea"}).status_code == 403
    page = client.get(URL)
    token = page.cookies["csrftoken"].value
    response = client.post(URL, {"text": "tea", "csrfmiddlewaretoken": token})
    assert response.status_code == 200


@pytest.mark.django_db
def test_it_works_for_a_signed_in_learner_too(client: Client, alice: object) -> None:
    client.force_login(alice)  # type: ignore[arg-type]
    response = client.post(URL, {"text": "tea"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and _ids(response.content.decode(), "bpe-ids") == [660, 64]
