"""`login_required` that keeps the visitor's place, for plain requests and htmx alike.

Django's decorator sends an anonymous visitor to the login page with `next` set to the
requested path. That is wrong in two cases this site has:

* a POST whose session expired: the path is often a POST-only action (`/…/revoke/`), so
  `next` should be the page the form was on (the same-origin Referer);
* an htmx request: following a 302 would swap the login page into a fragment of the
  current page, so the client is told to navigate instead (HX-Redirect).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

View = Callable[..., HttpResponse]


def _same_origin_path(request: HttpRequest, url: str | None) -> str | None:
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def return_path(request: HttpRequest) -> str:
    """Where to send the visitor back to after they log in."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        path = _same_origin_path(request, htmx.current_url)
        if path:
            return path
    if request.method != "GET":
        path = _same_origin_path(request, request.headers.get("Referer"))
        if path:
            return path
    return request.get_full_path()


def login_redirect(request: HttpRequest, next_path: str | None = None) -> HttpResponse:
    """Send an anonymous visitor to the login page, coming back to `next_path` afterwards."""
    response = redirect_to_login(next_path or return_path(request), resolve_url(settings.LOGIN_URL))
    if getattr(request, "htmx", None):
        return HttpResponseClientRedirect(response["Location"])
    return response


def login_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return login_redirect(request)

    return wrapper
