"""Account pages: first-run creation of the admin, sign in and out, password, API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from imgbackup.accounts import throttle
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import TokenNameTaken, create_token, revoke
from imgbackup.accounts.users import save_first_admin, set_password
from imgbackup.web.views import page, signed_in, with_csp


class AdminCreationForm(UserCreationForm):  # type: ignore[type-arg]
    username = forms.CharField(max_length=150, label="Admin user name")


@with_csp
def setup(request: HttpRequest) -> HttpResponse:
    """First run: the first visitor creates the admin account. Closed once any user exists."""
    if User.objects.exists():
        return redirect("home")
    form = AdminCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        if not save_first_admin(user):
            return redirect("login")
        # The configured backend: a session names its backend and must name one in use.
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect("home")
    return render(request, "web/setup.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's login, with the API's brake on password guessing (same counts, same limits)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not User.objects.exists():
            return redirect("setup")
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # The backend refuses a throttled pair too; checking first only shows the 429 page.
        if throttle.blocked(request.POST.get("username", ""), throttle.address_of(request)):
            context = self.get_context_data(form=AuthenticationForm(request), throttled=True)
            return self.render_to_response(context, status=429)
        # Failures are counted (and successes forgotten) by accounts/throttle.py's auth signals.
        return super().post(request, *args, **kwargs)


login_view = with_csp(LoginView.as_view())
class LogoutView(auth_views.LogoutView):
    """POST signs out. A GET (a typed or followed link) cannot, and its 405 says how, with the
    header's button, instead of the browser's blank page for an empty body."""

    def http_method_not_allowed(self, request: HttpRequest, *args: object,
                                **kwargs: object) -> HttpResponse:
        message = "To log out, use the Log out button at the top: a link cannot sign anyone out."
        response = render(request, "web/error.html", {"message": message}, status=405)
        response["Allow"] = "POST, OPTIONS"
        return response


logout_view = with_csp(LogoutView.as_view())


@page
def password_change(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        revoked = set_password(user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # stay signed in here, out everywhere else
        return render(request, "web/password.html",
                      {"form": None, "changed": True, "revoked": revoked})
    return render(request, "web/password.html", {"form": form, "changed": False})


EXPIRY_CHOICES = [("", "never"), ("30", "in 30 days"), ("90", "in 90 days"),
                  ("365", "in a year")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name",
                           widget=forms.TextInput(attrs={"placeholder": "laptop backup"}))
    expires = forms.TypedChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires",
                                     coerce=int, empty_value=None)

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires")
        return timezone.now() + timedelta(days=days) if days else None


NEW_TOKEN_KEY = "web.new_token"  # noqa: S105 - a session key, not a secret


@page
@never_cache  # the page that shows a new token once must not be kept in any cache
def tokens(request: HttpRequest) -> HttpResponse:
    """Tokens of the signed-in user. A new token is created by POST, then shown once by the
    GET it redirects to (so a reload neither creates a second token nor shows it again)."""
    user = signed_in(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = create_token(user, form.cleaned_data["name"], form.expires_at())
        except TokenNameTaken as exc:
            form.add_error("name", str(exc).capitalize() + ".")
        else:
            request.session[NEW_TOKEN_KEY] = {"id": token.pk, "secret": secret}
            return redirect("tokens")
    new = request.session.pop(NEW_TOKEN_KEY, None)
    created = ApiToken.objects.filter(user=user, pk=new["id"]).first() if new else None
    return render(request, "web/tokens.html", {
        "form": form,
        "tokens": ApiToken.objects.filter(user=user),
        "created": created,
        "secret": new["secret"] if created and new else None,
        "server_url": request.build_absolute_uri("/").rstrip("/"),
    })


@page
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not revoke(signed_in(request), token_id):
        raise Http404("no such token")
    return redirect("tokens")
