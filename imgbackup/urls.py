from django.urls import include, path

from imgbackup.access import public
from imgbackup.api import health, v1

urlpatterns = [
    path("healthz", public(health.healthz)),
    path("api/v2/", include("imgbackup.api.v2.urls")),
    path("api/v2/", include("imgbackup.sharing.urls")),
    path("api/v1.0/service/image/", v1.image),
    path("api/v1.0/service/image", v1.image),
    path("", include("imgbackup.wechat.urls")),
    path("", include("imgbackup.web.urls")),
    path("", include("imgbackup.sharing.web_urls")),
]

handler404 = "imgbackup.web.views.not_found"
handler500 = "imgbackup.web.views.server_error"
