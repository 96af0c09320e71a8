"""HTTP for the load benchmark: log in through the real login form and check that the
benchmarked pages answer 200 (not a redirect to the login page) before wrk measures them."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    cookies: tuple[str, ...]


def get(port: int, path: str, cookie: str = "") -> tuple[int, http.client.HTTPMessage, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    # Read Set-Cookie by hand: with DEBUG off the cookies are marked Secure, and
    # http.cookiejar rightly never sends those back over plain http.
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def login(port: int, username: str, password: str) -> str:
    """Log in through the login form; return the Cookie header of the new session."""
    status, headers, body = get(port, "/accounts/login/")
    csrf = _cookies(headers).get("csrftoken")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or csrf is None or match is None:
        raise RuntimeError(f"login page: HTTP {status}, no CSRF cookie or token")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": username, "password": password}
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Cookie": f"csrftoken={csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = conn.getresponse()
        response.read()
        cookies = _cookies(response.headers)
    finally:
        conn.close()
    session = cookies.get("sessionid")
    if response.status != 302 or not session:
        raise RuntimeError(f"login as {username}: HTTP {response.status}, no session cookie")
    # Logging in rotates the CSRF token; a browser sends the new cookie with every request
    # from then on. Without it, each page would mint a fresh CSRF secret and cookie.
    return f"sessionid={session}; csrftoken={cookies.get('csrftoken', csrf)}"


class PageError(RuntimeError):
    pass


def check_pages(port: int, endpoints: Sequence[Endpoint]) -> None:
    """Every page must answer 200 to every session before anything is measured."""
    failures = []
    for endpoint in endpoints:
        for cookie in endpoint.cookies:
            status, headers, _body = get(port, endpoint.path, cookie)
            if status != 200:
                where = headers.get("Location", "")
                failures.append(f"{endpoint.path}: HTTP {status} {where}".rstrip())
                break
    if failures:
        raise PageError("pages do not answer 200:\n  " + "\n  ".join(failures))
