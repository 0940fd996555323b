from django.urls import path

from imgbackup.access import public, signed_in
from imgbackup.web import account, views

urlpatterns = [
    path("", signed_in(views.timeline), name="home"),
    path("trash", signed_in(views.trash), name="trash"),
    path("setup", public(account.setup), name="setup"),
    path("login", public(account.login_view), name="login"),
    path("logout", public(account.logout_view), name="logout"),
    path("account/password", signed_in(account.password_change), name="password_change"),
    path("account/tokens", signed_in(account.tokens), name="tokens"),
    path("account/tokens/<int:token_id>/revoke", signed_in(account.token_revoke),
         name="token_revoke"),
]
