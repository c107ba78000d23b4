"""URL map: resident pages at /, the staff workbench at /workbench/, the API at /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from suqiu.api import api
from suqiu.core.views import after_login, favicon, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", api.urls),
    path("open311/v2/", include("suqiu.open311.urls")),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/welcome/", after_login, name="after-login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("workbench/triage/", include("suqiu.triage.urls")),
    path("workbench/duplicates/", include("suqiu.duplicates.urls")),
    path("workbench/hotspots/", include("suqiu.hotspots.urls")),
    path("workbench/timelimits/", include("suqiu.timelimits.urls")),
    path("workbench/notify/", include("suqiu.notify.urls")),
    path("workbench/rates/", include("suqiu.rates.urls")),
    path("workbench/imports/", include("suqiu.imports.urls")),
    path("workbench/replies/", include("suqiu.replies.urls")),
    path("workbench/", include("suqiu.appeals.urls_workbench")),
    path("", include("suqiu.appeals.urls_resident")),
]
