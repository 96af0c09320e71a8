"""{% pagecache %}: a per-learner fragment kept under the learner's freshness key."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory, override_settings

from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BLOCK = Template('{% load page_cache %}{% pagecache "sample" %}{{ shown }}{% endpagecache %}')


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def render(template: Template, user: object, shown: str) -> str:
    request = RequestFactory().get("/")
    request.user = user  # type: ignore[attr-defined]
    return template.render(Context({"request": request, "shown": shown}))


def reloaded(user: User) -> User:
    # What the next request sees: the user row as it is now.
    return User.objects.get(pk=user.pk)


def test_it_serves_the_first_rendering_until_the_learner_writes() -> None:
    ada = make_user("ada")

    assert render(BLOCK, reloaded(ada), "first") == "first"
    assert render(BLOCK, reloaded(ada), "second") == "first"  # from the cache

    ada.touch_activity()  # any write of hers: a new key
    assert render(BLOCK, reloaded(ada), "third") == "third"


def test_each_learner_has_their_own() -> None:
    ada, ben = make_user("ada"), make_user("ben")

    assert render(BLOCK, reloaded(ada), "for ada") == "for ada"
    assert render(BLOCK, reloaded(ben), "for ben") == "for ben"


def test_anonymous_visitors_and_the_request_that_wrote_get_it_rendered() -> None:
    ada = make_user("ada")
    assert render(BLOCK, AnonymousUser(), "one") == "one"
    assert render(BLOCK, AnonymousUser(), "two") == "two"

    render(BLOCK, reloaded(ada), "before")
    ada.touch_activity()  # this request wrote: it never reads nor fills the cache
    assert render(BLOCK, ada, "after") == "after"
    assert render(BLOCK, reloaded(ada), "next") == "next"


@override_settings(PAGE_CACHE_SECONDS=0)
def test_it_is_off_with_the_page_cache() -> None:
    ada = make_user("ada")
    assert render(BLOCK, reloaded(ada), "one") == "one"
    assert render(BLOCK, reloaded(ada), "two") == "two"


def test_it_refuses_a_block_that_holds_a_csrf_token() -> None:
    form = Template(
        '{% load page_cache %}{% pagecache "form" %}<form>{% csrf_token %}</form>{% endpagecache %}'
    )
    request = RequestFactory().get("/")
    request.user = make_user("ada")  # type: ignore[attr-defined]

    for _ in range(2):  # nothing was stored: the second request is refused too
        with pytest.raises(TemplateSyntaxError, match="holds a CSRF token"):
            form.render(Context({"request": request, "csrf_token": "secret-token"}))


def test_it_takes_exactly_one_name() -> None:
    with pytest.raises(TemplateSyntaxError, match="takes one argument"):
        Template("{% load page_cache %}{% pagecache %}x{% endpagecache %}")
