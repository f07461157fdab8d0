from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from oms import panel_apikeys, views
from oms.api import api

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("users/", views.user_list, name="users"),
    path("users/<int:pk>/roles/", views.user_roles, name="user_roles"),
    path("audit/", views.audit_log, name="audit_log"),
    path("api-keys/", panel_apikeys.api_key_list, name="api_keys"),
    path("api-keys/create/", panel_apikeys.api_key_create, name="api_key_create"),
    path("api-keys/<int:pk>/revoke/", panel_apikeys.api_key_revoke, name="api_key_revoke"),
    path("healthz", views.healthz, name="healthz"),
    path("track/", include("fulfillment.urls_public")),
    path("orders/", include("orders.urls")),
    path("inventory/", include("inventory.urls")),
    path("fulfillment/", include("fulfillment.urls")),
    path("returns/", include("returns.urls")),
    path("billing/", include("billing.urls")),
    path("channels/", include("channels.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler403 = "oms.views.permission_denied"
