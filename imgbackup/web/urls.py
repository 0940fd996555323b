from django.contrib.auth import views as auth_views
from django.urls import path

from imgbackup.access import public, signed_in
from imgbackup.web import views

urlpatterns = [
    path("", signed_in(views.home), name="home"),
    path("setup", public(views.setup), name="setup"),
    path("login", public(auth_views.LoginView.as_view(template_name="web/login.html")),
         name="login"),
    path("logout", public(auth_views.LogoutView.as_view()), name="logout"),
]
