"""One typed request for views: the user is authenticated where views require it."""

from __future__ import annotations

from django.http import HttpRequest as _HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HttpRequest(_HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User
