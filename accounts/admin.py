from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "role",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Learning Accelerator", {"fields": ("role", "timezone")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                # E-mail is unique, so it must be set on creation (a second blank one
                # would collide with the first).
                "fields": (
                    "username",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """View and revoke (delete) tokens; the token itself is never stored, so never shown."""

    list_display = ("prefix", "user", "created_at", "last_used_at")
    search_fields = ("user__username", "user__email", "prefix")
    list_select_related = ("user",)
    fields = ("user", "prefix", "created_at", "last_used_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued to their owner on the profile page, shown to them once.
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
