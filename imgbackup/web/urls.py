from django.urls import path

from imgbackup.access import admin_only, public, signed_in
from imgbackup.web import account, places, users, views

urlpatterns = [
    path("", signed_in(views.timeline), name="home"),
    path("trash", signed_in(views.trash), name="trash"),
    path("places", signed_in(places.places), name="places"),
    path("setup", public(account.setup), name="setup"),
    path("login", public(account.login_view), name="login"),
    path("logout", public(account.logout_view), name="logout"),
    path("account/password", signed_in(account.password_change), name="password_change"),
    path("account/tokens", signed_in(account.tokens), name="tokens"),
    path("account/tokens/<int:token_id>/revoke", signed_in(account.token_revoke),
         name="token_revoke"),
    path("users", admin_only(users.user_list), name="users"),
    path("users/<int:user_id>/password", admin_only(users.user_password), name="user_password"),
    path("users/<int:user_id>/active", admin_only(users.user_active), name="user_active"),
    path("users/<int:user_id>/admin", admin_only(users.user_admin), name="user_admin"),
    path("users/<int:user_id>/quota", admin_only(users.user_quota), name="user_quota"),
]
