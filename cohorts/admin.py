from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from cohorts import membership
from cohorts.models import Cohort, MemberRole, Membership, RetiredJoinCode


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)
    ordering = ("role", "user__username")


class RetiredJoinCodeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RetiredJoinCode
    extra = 0
    fields = ("code", "retired_at")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Retired join codes"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "display_code", "code_active", "learners", "created_by", "created_at")
    list_filter = ("code_active",)
    search_fields = ("name", "join_code")
    # The code changes only through the actions below, which keep the retired-code history.
    readonly_fields = ("join_code", "code_active", "created_at")
    fields = ("name", "created_by", "join_code", "code_active", "created_at")
    autocomplete_fields = ("created_by",)
    inlines = (MembershipInline, RetiredJoinCodeInline)
    actions = ("revoke_codes", "regenerate_codes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cohort]:
        return super().get_queryset(request).with_counts().select_related("created_by")  # type: ignore[attr-defined]

    @admin.display(description="Join code", ordering="join_code")
    def display_code(self, cohort: Cohort) -> str:
        return cohort.display_code

    @admin.display(description="Learners", ordering="learner_count")
    def learners(self, cohort: Cohort) -> int:
        return cohort.learner_count  # type: ignore[attr-defined,no-any-return]

    def save_model(self, request: HttpRequest, obj: Cohort, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
        if not change:
            # Whoever the admin names as creator teaches the cohort, as on the site.
            membership.enrol(cohort=obj, user=obj.created_by, role=MemberRole.INSTRUCTOR)

    @admin.action(description="Revoke the join code of the selected cohorts")
    def revoke_codes(self, request: HttpRequest, queryset: QuerySet[Cohort]) -> None:
        changed = sum(membership.revoke_code(cohort=c, by=request.user) for c in queryset)  # type: ignore[arg-type]
        self.message_user(request, f"Revoked {changed} join code(s).", messages.SUCCESS)

    @admin.action(description="Generate a new join code for the selected cohorts")
    def regenerate_codes(self, request: HttpRequest, queryset: QuerySet[Cohort]) -> None:
        changed = sum(membership.regenerate_code(cohort=c, by=request.user) for c in queryset)  # type: ignore[arg-type]
        self.message_user(request, f"Generated {changed} new join code(s).", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "cohort", "role", "joined_at")
    list_filter = ("role", "cohort")
    search_fields = ("user__username", "user__email", "cohort__name")
    list_select_related = ("user", "cohort")
    autocomplete_fields = ("user", "cohort")
    readonly_fields = ("joined_at",)
    date_hierarchy = "joined_at"
