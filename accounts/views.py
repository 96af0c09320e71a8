"""Sign-up, log-out, the profile page with its API token, and the CSRF failure page.

Log-in and the password change and reset flows are Django's own views, configured in
accounts/urls.py: they carry security details (rate of token expiry, session hash
rotation, the reset token kept out of the URL and Referer) that are better inherited
than rewritten.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accelerator.http import AuthenticatedHttpRequest, HttpRequest
from accounts import tokens
from accounts.decorators import login_required
from accounts.forms import ProfileForm, SignupForm
from accounts.models import ApiToken, User


def safe_next(request: HttpRequest, default: str = "home") -> str:
    """The `next` parameter when it points into this site, else `default` (a URL name)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(safe_next(request))
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Your account is ready.")
            return HttpResponseRedirect(safe_next(request))
    else:
        form = SignupForm()
    return render(
        request, "accounts/signup.html", {"form": form, "next": safe_next(request, "home")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # POST only: a GET logout can be triggered by any page that embeds an <img>.
    was_logged_in = request.user.is_authenticated
    logout(request)
    if was_logged_in:
        messages.info(request, "You are logged out. See you tomorrow!")
    return redirect("home")


def _token_context(
    user: User, *, new_token: str | None = None, notice: str = ""
) -> dict[str, object]:
    return {
        "api_token": ApiToken.objects.filter(user=user).first(),
        "new_token": new_token,
        "token_notice": notice,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    saved = False
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=user)
        if form.is_valid():
            with transaction.atomic():
                form.save()
                # The time zone moves the learner's day: "today", streaks, cards due today.
                user.touch_activity()
            if not request.htmx:
                messages.success(request, "Your settings are saved.")
                return redirect("accounts:profile")
            saved = True
    else:
        form = ProfileForm(instance=user)
    context = {"form": form, "saved": saved, **_token_context(user)}
    if request.htmx:
        return render(request, "accounts/profile.html#profile-settings", context)
    return render(request, "accounts/profile.html", context)


@never_cache
@require_POST
@login_required
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    raw = tokens.create_token(user=request.user)
    notice = (
        ""
        if raw
        else "You already have a token, so none was created. Revoke it first to replace it."
    )
    context = _token_context(request.user, new_token=raw, notice=notice)
    if request.htmx:
        return render(request, "accounts/profile.html#api-token", context)
    # No redirect here: the token exists only in this response, so the page is rendered
    # directly (never_cache keeps it out of any cache).
    return render(
        request, "accounts/profile.html", {"form": ProfileForm(instance=request.user), **context}
    )


@require_POST
@login_required
def token_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    revoked = tokens.revoke_token(user=request.user)
    notice = (
        "Token revoked: notebooks using it can no longer submit."
        if revoked
        else "You have no token to revoke."
    )
    if request.htmx:
        return render(
            request, "accounts/profile.html#api-token", _token_context(request.user, notice=notice)
        )
    messages.info(request, notice)
    return redirect("accounts:profile")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: an expired or replayed form, explained in plain words.

    An htmx request cannot show this page in place, so the client is told to reload,
    which fetches a fresh token.
    """
    response = render(request, "403_csrf.html", {"reason": reason}, status=403)
    if request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
    return response
