"""Cohort pages: my cohorts, create, detail, join (form and link), join-code management.

A cohort is visible to its members only; everyone else gets a 404 for it, never a 403,
so that cohort ids reveal nothing. The workflows live in cohorts/membership.py.
"""

from __future__ import annotations

import csv
import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mass_mail
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accelerator.http import AuthenticatedHttpRequest, HttpRequest
from accounts.decorators import login_redirect, login_required
from accounts.models import Role, User
from cohorts import membership, overview
from cohorts.forms import AddInstructorForm, CodeActionForm, CohortForm, JoinForm
from cohorts.models import Cohort, MemberRole, Membership
from flashcards import stats
from progress import freshness


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


# --- Instructor overview (issue 7) -------------------------------------------------------


def _taught_cohort(user: User, pk: int) -> Cohort:
    """The cohort if `user` teaches it or is staff; a 404 for everyone else (learners of
    it included), so that neither the overview nor its id reveal anything.

    One query, which also reads `viewer_role` (`user`'s role in it, None for staff who are
    not members: what Cohort.role_of answers) and `learner_stamp`, the overview cache's
    freshness stamp: "<learners>:<sum of their User.activity_version>". Every learner
    action bumps its learner's version (progress.freshness) and every membership change the
    cohort's own ``activity_version``, so together they change whenever the overview would,
    without the learners' writes all contending for the one cohort row."""
    # Written out, because every request for the overview and its drill-downs runs it, and
    # Django takes longer to compile the equivalent annotated queryset (two correlated
    # subqueries) than PostgreSQL takes to run it.
    membership, users, cohorts = (
        Membership._meta.db_table,
        User._meta.db_table,
        Cohort._meta.db_table,
    )
    query = Cohort.objects.raw(
        f"SELECT c.*,"
        f" (SELECT m.role FROM {membership} m"
        f"   WHERE m.cohort_id = c.id AND m.user_id = %s) AS viewer_role,"
        f" (SELECT count(*) || ':' || coalesce(sum(u.activity_version), 0)"
        f"   FROM {membership} m JOIN {users} u ON u.id = m.user_id"
        f"   WHERE m.cohort_id = c.id AND m.role = %s) AS learner_stamp"
        f" FROM {cohorts} c WHERE c.id = %s",
        [user.pk, MemberRole.LEARNER.value, pk],
    )
    cohort = next(iter(query), None)
    # Cohort.objects.instructed_by's rule, read from the viewer's role fetched alongside.
    if cohort is None or not (
        _is_staff(user) or cohort.viewer_role == MemberRole.INSTRUCTOR  # type: ignore[attr-defined]
    ):
        raise Http404("No such cohort.")
    return cohort


def _is_staff(user: User) -> bool:
    return user.is_staff or user.role == Role.STAFF


class OverviewQueryForm(forms.Form):
    """The overview's GET parameters. Invalid values are reported and fall back to the
    defaults, so a hand-edited URL still shows the grid."""

    sort = forms.ChoiceField(choices=list(overview.SORTS.items()), required=False)
    show = forms.ChoiceField(choices=list(overview.FILTERS.items()), required=False)
    quiet_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        label="Quiet after (days)",
        error_messages={
            "invalid": "“Quiet after” must be a whole number of days.",
            "min_value": "“Quiet after” must be at least 1 day.",
            "max_value": "“Quiet after” can be at most 365 days.",
        },
    )

    page = forms.IntegerField(
        min_value=1,
        required=False,
        error_messages={
            "invalid": "The page must be a whole number.",
            "min_value": "Pages start at 1.",
        },
    )

    def values(self) -> tuple[str, str, int]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return (
            data.get("sort") or "name",
            data.get("show") or "all",
            data.get("quiet_days") or overview.DEFAULT_QUIET_DAYS,
        )

    def page_number(self) -> int:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("page") or 1


# The grid shows this many learners at a time: a 500-learner grid is 7,000 cells, too slow
# to render and to read. Sorting and filtering apply to the whole cohort before paging; the
# CSV export has everyone.
OVERVIEW_PAGE_SIZE = 50
# How long a request for the overview waits for another that is building the same one.
OVERVIEW_WAIT_S = 3.0


@require_GET
@login_required
def cohort_overview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_overview(request, _taught_cohort(request.user, pk))


def _render_overview(request: AuthenticatedHttpRequest, cohort: Cohort) -> HttpResponse:
    grid, checks = _overview_fragments(request, cohort)
    if request.htmx:
        return HttpResponse(grid)
    context: dict[str, Any] = {"cohort": cohort, "grid": grid, "checks": checks}
    # Staff who do not teach the cohort see the overview but do not invite people. The
    # roster form itself (a CSRF token and a one-time token) is loaded when asked for.
    context["can_invite"] = cohort.viewer_role == MemberRole.INSTRUCTOR  # type: ignore[attr-defined]
    return render(request, "cohorts/overview.html", context)


def _overview_fragments(
    request: AuthenticatedHttpRequest, cohort: Cohort
) -> tuple[SafeString, SafeString]:
    """The grid and the failing-checks table, rendered, and kept in the page cache under
    the cohort's freshness stamp (``_taught_cohort``), the grid's parameters and the
    viewer's time zone (dates show in it); rebuilt by one request at a time, at the latest
    ``PAGE_CACHE_SECONDS`` after the last build ("3 hours ago", who is quiet). Neither
    holds a form token: the roster form (a CSRF token and a one-time token) is loaded on
    its own (``roster_import``). A page with parameter errors (the grid lists them) skips
    the cache."""
    form = OverviewQueryForm(request.GET)
    sort, show, quiet_days = form.values()
    page_number = form.page_number()

    def render_fragments() -> tuple[str, str]:
        data = overview.build(cohort=cohort, now=timezone.now(), quiet_days=quiet_days)
        # get_page() clamps a page past the end to the last one (a filter can shrink it).
        page = Paginator(data.arranged(sort=sort, show=show), OVERVIEW_PAGE_SIZE).get_page(
            page_number
        )
        context = {
            "cohort": cohort,
            "overview": data,
            "rows": page.object_list,
            "page": page,
            "form": form,
            "sort": sort,
            "show": show,
            "quiet_days": quiet_days,
            "sorts": overview.SORTS,
            "filters": overview.FILTERS,
            "query": urlencode({"sort": sort, "show": show, "quiet_days": quiet_days}),
            "stuck_attempts": overview.STUCK_ATTEMPTS,
        }
        page_template = "cohorts/overview.html"
        return (
            render_to_string(f"{page_template}#overview-grid", context, request=request),
            render_to_string(f"{page_template}#failing-checks", context, request=request),
        )

    if form.errors or not freshness.enabled():
        grid, checks = render_fragments()
    else:
        stamp = ":".join(
            str(part)
            for part in (
                cohort.pk,
                cohort.activity_version,
                cohort.learner_stamp,  # type: ignore[attr-defined]
                sort,
                show,
                quiet_days,
                page_number,
                timezone.get_current_timezone_name(),
            )
        )
        key = f"la:{freshness.FORMAT}:cohort-overview:{stamp}"
        # Every instructor of the cohort shares it: one request builds it, the others wait.
        grid, checks = freshness.get_or_compute_shared(
            key, render_fragments, wait_s=OVERVIEW_WAIT_S
        )
    return mark_safe(grid), mark_safe(checks)  # noqa: S308 — our own rendered templates


def _csv_cell(value: object) -> str:
    """Guard against CSV injection: a spreadsheet runs a cell starting with = + - @ (or a
    tab/CR) as a formula, so such cells get a leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@login_required
def cohort_overview_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _taught_cohort(request.user, pk)
    sort, show, quiet_days = OverviewQueryForm(request.GET).values()
    data = overview.build(cohort=cohort, now=timezone.now(), quiet_days=quiet_days)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = slugify(cohort.name) or f"cohort-{cohort.pk}"
    response["Content-Disposition"] = f'attachment; filename="{filename}-overview.csv"'
    writer = csv.writer(response)
    header = ["username", "email"]
    for challenge in data.challenges:
        header += [f"{challenge.slug} status", f"{challenge.slug} attempts"]
    header += ["xp", "retention", "reviews", "last_activity", "quiet", "stuck"]
    writer.writerow(header)
    for row in data.arranged(sort=sort, show=show):
        cells: list[object] = [row.user.username, row.user.email]
        for cell in row.cells:
            status = cell.status
            if cell.passed_at is not None:
                status = f"passed {timezone.localtime(cell.passed_at):%Y-%m-%d}"
            cells += [status, cell.attempts]
        cells += [
            row.xp,
            "" if row.retention is None else f"{row.retention:.3f}",
            row.reviews,
            timezone.localtime(row.last_activity).isoformat(timespec="seconds")
            if row.last_activity
            else "",
            "yes" if row.is_quiet else "no",
            "yes" if row.is_stuck else "no",
        ]
        writer.writerow([_csv_cell(value) for value in cells])
    return response


@require_GET
@login_required
def cohort_learner(request: AuthenticatedHttpRequest, pk: int, user_id: int) -> HttpResponse:
    cohort = _taught_cohort(request.user, pk)
    now = timezone.now()
    # The learner's row doubles as the membership check: no row, not a learner here.
    data = overview.build(cohort=cohort, now=now, learner_id=user_id)
    if not data.rows:
        raise Http404("No such learner in this cohort.")
    row = data.rows[0]
    learner = row.user
    submissions = overview.submissions_of(learner)
    context = {
        "cohort": cohort,
        "learner": learner,
        "row": row,
        "overview": data,
        "submissions": submissions,
        "retention": stats.true_retention(learner=learner, now=now),
        "stuck_attempts": overview.STUCK_ATTEMPTS,
    }
    if request.htmx:
        return render(request, "cohorts/learner.html#learner-detail", context)
    return render(request, "cohorts/learner.html", context)


# --- Roster import: a CSV or list of e-mails → invitation e-mails with the join link ---------

ROSTER_MAX_ADDRESSES = 500
ROSTER_MAX_BYTES = 256 * 1024
_HEADER_WORDS = {"email", "e-mail", "email address", "e-mail address", "mail"}


class RosterForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        required=False,
        label="E-mail addresses",
        help_text="One per line, or separated by commas.",
    )
    file = forms.FileField(required=False, label="…or a CSV file")
    # One-time token: a replayed or double-submitted form sends nothing twice.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("emails") or ""
        upload = data.get("file")
        if upload is not None:
            if upload.size > ROSTER_MAX_BYTES:
                raise forms.ValidationError("The file is larger than 256 KB; split the roster.")
            try:
                text += "\n" + upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(
                    "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
                ) from error
        addresses: list[str] = []
        invalid: list[str] = []
        for line in csv.reader(text.splitlines()):
            cells = [cell.strip() for cell in line if cell.strip()]
            if any(cell.lower() in _HEADER_WORDS for cell in cells):
                continue  # the CSV's header row
            if len(cells) > 1 and any("@" in cell for cell in cells):
                # A spreadsheet row: the address column, not the name or group columns.
                cells = [cell for cell in cells if "@" in cell]
            for value in cells:
                try:
                    validate_email(value)
                except forms.ValidationError:
                    invalid.append(value)
                else:
                    if value.lower() not in (a.lower() for a in addresses):
                        addresses.append(value)
        if invalid:
            shown = ", ".join(invalid[:5]) + (" …" if len(invalid) > 5 else "")
            raise forms.ValidationError(
                f"{len(invalid)} entr{'y is' if len(invalid) == 1 else 'ies are'} not an e-mail "
                f"address: {shown}. Fix or remove {'it' if len(invalid) == 1 else 'them'}; "
                "nothing was sent."
            )
        if not addresses:
            raise forms.ValidationError("Paste at least one e-mail address or choose a CSV file.")
        if len(addresses) > ROSTER_MAX_ADDRESSES:
            raise forms.ValidationError(
                f"{len(addresses)} addresses: at most {ROSTER_MAX_ADDRESSES} at a time."
            )
        data["addresses"] = addresses
        return data


def _roster_context(form: RosterForm, notice: str = "") -> dict[str, Any]:
    return {"roster_form": form, "roster_notice": notice}


def new_roster_form() -> RosterForm:
    return RosterForm(initial={"token": uuid.uuid4()})


ROSTER_PAGE = "cohorts/roster.html"


@require_http_methods(["GET", "POST"])
@login_required
def roster_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The roster form (GET: the overview loads it into its "Invite learners" section with
    htmx; without JS it is a page of its own), and sending it (POST): each address gets an
    invitation with the cohort's join link. Addresses of people already in the cohort are
    skipped; nobody is added until they press Join themselves."""
    cohort = get_object_or_404(Cohort.objects.instructed_by(request.user), pk=pk)
    if request.method == "GET":
        return _render_roster(request, cohort, new_roster_form())
    form = RosterForm(request.POST, request.FILES)
    notice = ""
    if form.is_valid():
        token = str(form.cleaned_data["token"])
        used: list[str] = request.session.get("roster_tokens", [])
        if token in used:
            notice = "These invitations were already sent; nothing was sent again."
            form = new_roster_form()
        elif not cohort.code_active:
            form.add_error(
                None,
                "The join code is revoked, so an invitation could not be used. "
                "Generate a new code on the cohort page first.",
            )
        else:
            notice = _send_invitations(request, cohort, form.cleaned_data["addresses"])
            request.session["roster_tokens"] = [*used[-19:], token]
            form = new_roster_form()
    if notice and not request.htmx:
        messages.success(request, notice)
        return redirect("cohorts:overview", pk=cohort.pk)
    # The form again: its errors and what was typed, or a fresh one under the notice.
    return _render_roster(request, cohort, form, notice)


def _render_roster(
    request: AuthenticatedHttpRequest, cohort: Cohort, form: RosterForm, notice: str = ""
) -> HttpResponse:
    context = {"cohort": cohort, **_roster_context(form, notice)}
    if request.htmx:
        return render(request, f"{ROSTER_PAGE}#roster-import", context)
    return render(request, ROSTER_PAGE, context)


def _send_invitations(
    request: AuthenticatedHttpRequest, cohort: Cohort, addresses: list[str]
) -> str:
    """E-mail each address not yet in the cohort its join link; what happened, to show."""
    members = set(cohort.memberships.values_list("user__email", flat=True))
    members = {email.lower() for email in members if email}
    to_invite = [a for a in addresses if a.lower() not in members]
    join_url = request.build_absolute_uri(reverse("cohorts:join-link", args=[cohort.join_code]))
    sender = request.user.display_name
    messages_out = [
        (
            f"{sender} invites you to {cohort.name} on Learning Accelerator",
            f"Hello,\n\n{sender} invites you to join the cohort “{cohort.name}” on "
            f"Learning Accelerator.\n\nOpen this link, log in or sign up, and press "
            f"Join:\n{join_url}\n\nOr enter the join code {cohort.display_code}.\n",
            None,
            [address],
        )
        for address in to_invite
    ]
    sent = send_mass_mail(messages_out, fail_silently=False)
    skipped = len(addresses) - len(to_invite)
    return f"Sent {sent} invitation{'s' if sent != 1 else ''}." + (
        f" Skipped {skipped} already in the cohort." if skipped else ""
    )
