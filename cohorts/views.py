"""Cohort pages: my cohorts, create, detail, join (form and link), join-code management.

A cohort is visible to its members only; everyone else gets a 404 for it, never a 403,
so that cohort ids reveal nothing. The workflows live in cohorts/membership.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accelerator.http import AuthenticatedHttpRequest, HttpRequest
from accounts.decorators import login_redirect, login_required
from accounts.models import User
from cohorts import membership
from cohorts.forms import AddInstructorForm, CodeActionForm, CohortForm, JoinForm
from cohorts.models import Cohort, MemberRole, Membership


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    # htmx follows a 302 inside the fragment; a client redirect changes the whole page.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@login_required
def cohort_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    instructors = Prefetch(
        "memberships",
        queryset=Membership.objects.instructors().select_related("user").order_by("joined_at"),
        to_attr="instructor_memberships",
    )
    context = {
        "teaching": Cohort.objects.instructed_by(user).with_counts().order_by("name"),
        "learning": Cohort.objects.attended_by(user)
        .with_counts()
        .prefetch_related(instructors)
        .order_by("name"),
        "join_form": JoinForm(),
    }
    return render(request, "cohorts/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def cohort_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_instructor:
        raise PermissionDenied(
            "Only instructors can create cohorts. If you teach a group, ask the site's "
            "staff to make your account an instructor account."
        )
    if request.method == "POST":
        form = CohortForm(request.POST)
        if form.is_valid():
            try:
                cohort = membership.create_cohort(
                    instructor=request.user,
                    name=form.cleaned_data["name"],
                    creation_token=form.cleaned_data["creation_token"],
                )
            except membership.CohortError as error:
                form.add_error("name", error.message)
            else:
                messages.success(
                    request, f"{cohort.name} is ready. Share its join link with your learners."
                )
                return _redirect(request, reverse("cohorts:detail", args=[cohort.pk]))
    else:
        form = CohortForm(initial={"creation_token": uuid.uuid4()})
    if request.htmx:
        return render(request, "cohorts/create.html#cohort-form", {"form": form})
    return render(request, "cohorts/create.html", {"form": form})


def _detail_context(
    request: HttpRequest, cohort: Cohort, role: str, **extra: Any
) -> dict[str, Any]:
    members = list(
        cohort.memberships.select_related("user").order_by("joined_at", "user__username")
    )
    instructors = [m for m in members if m.role == MemberRole.INSTRUCTOR]
    learners = [m for m in members if m.role == MemberRole.LEARNER]
    context: dict[str, Any] = {
        "cohort": cohort,
        "role": role,
        "is_instructor": role == MemberRole.INSTRUCTOR,
        "instructors": instructors,
        "learners": learners,
        "fellow_count": max(len(learners) - (role == MemberRole.LEARNER), 0),
    }
    if role == MemberRole.INSTRUCTOR:
        context.update(_code_context(request, cohort))
        context["instructor_form"] = AddInstructorForm()
    context.update(extra)
    return context


def _code_context(request: HttpRequest, cohort: Cohort, notice: str = "") -> dict[str, Any]:
    return {
        "cohort": cohort,
        "join_url": request.build_absolute_uri(
            reverse("cohorts:join-link", args=[cohort.join_code])
        ),
        "code_form": CodeActionForm(initial={"code": cohort.join_code}, auto_id=False),
        "code_notice": notice,
    }


@require_GET
@login_required
def cohort_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.visible_to(request.user), pk=pk)
    role = cohort.role_of(request.user)
    assert role is not None  # visible_to() means a membership exists
    return render(request, "cohorts/detail.html", _detail_context(request, cohort, role))


def _code_action(request: AuthenticatedHttpRequest, pk: int, *, regenerate: bool) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.instructed_by(request.user), pk=pk)
    form = CodeActionForm(request.POST)
    if not form.is_valid():
        notice = "This page was out of date, so nothing changed. Here is the current code."
    elif regenerate:
        changed = membership.regenerate_code(
            cohort=cohort, by=request.user, expected_code=form.cleaned_data["code"]
        )
        notice = (
            f"New join code {cohort.display_code}. The old code and link no longer work."
            if changed
            else "The code had already been replaced, so nothing changed. This is the current code."
        )
    else:
        changed = membership.revoke_code(
            cohort=cohort, by=request.user, expected_code=form.cleaned_data["code"]
        )
        notice = (
            "Join code revoked: nobody can join with it any more. "
            "Generate a new code when you want to let people in again."
            if changed
            else "Nothing changed: the code was already revoked or has been replaced."
        )
    if request.htmx:
        return render(
            request, "cohorts/detail.html#join-code", _code_context(request, cohort, notice)
        )
    messages.info(request, notice)
    return redirect("cohorts:detail", pk=cohort.pk)


@require_POST
@login_required
def code_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _code_action(request, pk, regenerate=False)


@require_POST
@login_required
def code_regenerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _code_action(request, pk, regenerate=True)


@require_POST
@login_required
def instructor_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.instructed_by(request.user), pk=pk)
    form = AddInstructorForm(request.POST)
    notice = ""
    if form.is_valid():
        try:
            added = membership.add_instructor(
                cohort=cohort, by=request.user, username=form.cleaned_data["username"]
            )
        except membership.CohortError as error:
            form.add_error("username", error.message)
        else:
            notice = f"{added.user.username} now teaches {cohort.name} with you."
            form = AddInstructorForm()
    if request.htmx:
        context = _detail_context(
            request, cohort, MemberRole.INSTRUCTOR, instructor_form=form, instructor_notice=notice
        )
        return render(request, "cohorts/detail.html#instructors", context)
    if notice:
        messages.success(request, notice)
        return redirect("cohorts:detail", pk=cohort.pk)
    # Re-render rather than redirect, so the typed username and its error stay on screen.
    context = _detail_context(request, cohort, MemberRole.INSTRUCTOR, instructor_form=form)
    return render(request, "cohorts/detail.html", context)


def _join(request: HttpRequest, user: User, code: str) -> HttpResponse | membership.CohortError:
    """Join and redirect to the cohort; an invalid code is returned for the caller to show."""
    try:
        joined = membership.join_cohort(learner=user, code=code)
    except membership.AlreadyMember as already:
        # A replayed or repeated join: nothing changed, say so and show the cohort.
        messages.info(request, already.message)
        return _redirect(request, reverse("cohorts:detail", args=[already.membership.cohort_id]))
    except membership.CohortError as error:
        return error
    messages.success(request, f"Welcome to {joined.cohort.name}!")
    return _redirect(request, reverse("cohorts:detail", args=[joined.cohort_id]))


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """The join-code form."""
    if not request.user.is_authenticated:
        # An expired session keeps the typed code: log-in returns to the join link.
        code = membership.normalise_code(request.POST.get("code", ""))
        if request.method == "POST" and code.isalnum():
            return login_redirect(request, reverse("cohorts:join-link", args=[code]))
        return login_redirect(request)
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid():
            outcome = _join(request, request.user, form.cleaned_data["code"])
            if isinstance(outcome, HttpResponse):
                return outcome
            form.add_error("code", outcome.message)
    else:
        form = JoinForm(initial={"code": request.GET.get("code", "")})
    if request.htmx:
        return render(request, "cohorts/join.html#join-form", {"form": form})
    return render(request, "cohorts/join.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def join_link(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The shared link: GET shows the cohort and a Join button, only POST joins."""
    error = ""
    cohort: Cohort | None = None
    existing: Membership | None = None
    if request.method == "POST":
        outcome = _join(request, request.user, code)
        if isinstance(outcome, HttpResponse):
            return outcome
        error = outcome.message
    else:
        try:
            cohort = membership.find_cohort_for_code(code)
        except membership.CohortError as refused:
            error = refused.message
        else:
            existing = cohort.memberships.filter(user=request.user).first()
    context = {
        "cohort": cohort,
        "error": error,
        "existing": existing,
        "instructors": (cohort.memberships.instructors().select_related("user") if cohort else []),
        "join_form": JoinForm(),
    }
    return render(request, "cohorts/join_link.html", context)
