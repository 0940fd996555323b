from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from imgbackup.api.errors import ApiError, error_response


def home(request: HttpRequest) -> HttpResponse:
    if not User.objects.exists():
        return redirect("setup")
    if not request.user.is_authenticated:
        return redirect("login")
    return render(request, "web/home.html")


class AdminCreationForm(UserCreationForm):  # type: ignore[type-arg]
    username = forms.CharField(max_length=150, label="Admin user name")


def setup(request: HttpRequest) -> HttpResponse:
    """First run: the first visitor creates the admin account. Closed once any user exists."""
    if User.objects.exists():
        return redirect("home")
    form = AdminCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if User.objects.exists():  # someone else was quicker
                return redirect("login")
            user = form.save(commit=False)
            user.is_staff = user.is_superuser = True
            user.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "web/setup.html", {"form": form})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return error_response(request, ApiError(404, "not_found", f"no API at {request.path}"))
    return render(request, "web/error.html", {"message": "Page not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return error_response(request, ApiError(500, "server_error", "internal error"))
    return render(request, "web/error.html", {"message": "Something went wrong."}, status=500)
