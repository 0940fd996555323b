"""The Users page: admins list, create, enable and disable users, set their password and admin
flag. Nobody else may know it exists (404). Users are never deleted here, on purpose."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_http_methods, require_POST

from imgbackup.accounts import users
from imgbackup.accounts.quotas import set_quota
from imgbackup.sizes import format_size, parse_size
from imgbackup.web.views import View, page, signed_in

KEPT = Q(photos__trashed_at__isnull=True)


def admin_page(view: View) -> View:
    """A page for admins; a signed-in non-admin gets 404, as for a page that does not exist."""

    @wraps(view)
    def check(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not users.is_admin(signed_in(request)):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return page(check)


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150, label="User name")
    password1 = forms.CharField(label="Initial password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Initial password (again)", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    admin = forms.BooleanField(required=False, label="Admin (may manage users)")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class ResetForm(SetPasswordForm):  # type: ignore[type-arg]
    """An admin's new password for a user: their tokens are always revoked (users.set_password)."""


class FlagForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "on"), ("0", "off")],
                                   coerce=lambda v: v == "1")


def listing() -> QuerySet[User]:
    """Every user with their photos outside the trash and the bytes of those originals: one
    query, however many users."""
    return User.objects.annotate(
        photo_count=Count("photos", filter=KEPT & Q(photos__is_motion=False)),  # as listed
        photo_bytes=Sum("photos__original__size", filter=KEPT),
        stored_bytes=Sum("photos__original__size"),  # what the quota counts: trash included
        quota_bytes=F("quota__max_bytes"),
    ).order_by("username")


def last_seen(when: datetime | None, now: datetime | None = None) -> str:
    """"never", "just now" (under a minute, or a clock a little ahead), else "3 hours ago"."""
    if when is None:
        return "never"
    now = now or timezone.now()
    if now - when < timedelta(minutes=1):
        return "just now"
    return f"{timesince(when, now)} ago"


def _page(request: HttpRequest, *, create: NewUserForm | None = None, error: str = "",
          status: int = 200) -> HttpResponse:
    rows = [(user, last_seen(user.last_login)) for user in listing()]
    return render(request, "web/users.html", {
        "rows": rows, "create": create or NewUserForm(), "error": error,
    }, status=status)


@admin_page
def user_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = NewUserForm(request.POST)
    if form.is_valid():
        try:
            user = users.create_user(form.cleaned_data["username"],
                                     form.cleaned_data["password1"],
                                     admin=form.cleaned_data["admin"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created {_role(user)} {user.username}.")
            return redirect("users")
    return _page(request, create=form, status=400)


@admin_page
@require_http_methods(["GET", "POST"])
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """Its own page, so the list stays one line per user."""
    user = get_object_or_404(User, pk=user_id)
    form = ResetForm(user, request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return render(request, "web/user_password.html", {"person": user, "form": form},
                      status=400 if form.is_bound else 200)
    revoked = users.set_password(user, form.cleaned_data["new_password1"])
    if user.pk == signed_in(request).pk:
        update_session_auth_hash(request, user)  # an admin resetting their own stays here
    messages.success(request, f"New password set for {user.username}; their other sessions "
                     f"ended and their API tokens were revoked ({revoked}).")
    return redirect("users")


@admin_page
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = FlagForm(request.POST)
    if not form.is_valid():
        return _page(request, error="Say whether to enable or disable the user.", status=400)
    active = form.cleaned_data["value"]
    if not active and user.pk == signed_in(request).pk:
        return _page(request, error="You cannot disable your own account.", status=400)
    try:
        users.set_active(user, active)
    except users.LastAdmin:
        return _page(request, error="The last active admin cannot be disabled.", status=400)
    messages.success(request, f"{'Enabled' if active else 'Disabled'} {user.username}.")
    return redirect("users")


@admin_page
@require_POST
def user_admin(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = FlagForm(request.POST)
    if not form.is_valid():
        return _page(request, error="Say whether to make the user an admin.", status=400)
    try:
        users.set_admin(user, form.cleaned_data["value"])
    except users.LastAdmin:
        return _page(request, error="The last active admin cannot lose the admin flag: make "
                     "someone else an admin first.", status=400)
    messages.success(request, f"{user.username} is now {'an' if user.is_staff else 'a'} "
                     f"{_role(user)}.")
    return redirect("users")


@admin_page
@require_POST
def user_quota(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    try:
        size = parse_size(request.POST.get("quota", ""))
    except ValueError as exc:
        return _page(request, error=f"Quota for {user.username}: {exc}.", status=400)
    set_quota(user, size)
    messages.success(request, f"{user.username}'s storage quota is now {format_size(size)}.")
    return redirect("users")


def _role(user: User) -> str:
    return "admin" if user.is_staff else "user"
