from django.urls import path

from imgbackup.web import account, views

urlpatterns = [
    path("", views.timeline, name="home"),
    path("trash", views.trash, name="trash"),
    path("setup", account.setup, name="setup"),
    path("login", account.login_view, name="login"),
    path("logout", account.logout_view, name="logout"),
    path("account/password", account.password_change, name="password_change"),
    path("account/tokens", account.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke", account.token_revoke, name="token_revoke"),
]
