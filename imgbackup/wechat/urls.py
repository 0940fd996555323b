from django.urls import path

from imgbackup.wechat import views

urlpatterns = [
    path("api/v2/auth/wechat", views.login),
]
