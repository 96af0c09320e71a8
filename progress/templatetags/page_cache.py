"""``{% pagecache "name" %}…{% endpagecache %}``: a fragment of a page kept in the page cache
under the signed-in user's freshness key (progress.freshness), so that pages which show the
same per-learner block on every request (the nav's links and XP badge) read one cache entry
instead of rendering it and reading what it shows.

What the block shows must change only with the learner's own writes and their day (what
the key holds), and it must carry no per-request secret: a block whose output holds a CSRF
token is refused when it is first rendered. Anonymous requests, and a request that wrote,
render the block as it is.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe

from progress import freshness

register = template.Library()

# What a rendered {% csrf_token %} starts with (django.template.defaulttags.CsrfTokenNode).
_CSRF_FIELD = 'name="csrfmiddlewaretoken"'


class PageCacheNode(template.Node):
    def __init__(self, nodelist: NodeList, name: FilterExpression) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> SafeString:
        request = context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.nodelist.render(context)
        name = self.name.resolve(context)

        def render_block() -> SafeString:
            html = self.nodelist.render(context)
            if _CSRF_FIELD in html:
                raise template.TemplateSyntaxError(
                    f"{{% pagecache {name!r} %}} holds a CSRF token: it would be served to "
                    "other requests. Move the form out of the cached block."
                )
            return mark_safe(html)  # noqa: S308 — the template's own rendered output

        return freshness.cached(f"fragment:{name}", user=user, compute=render_block)


@register.tag("pagecache")
def do_pagecache(parser: Parser, token: Token) -> PageCacheNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the fragment's name.")
    nodelist = parser.parse(("endpagecache",))
    parser.delete_first_token()
    return PageCacheNode(nodelist, parser.compile_filter(bits[1]))
