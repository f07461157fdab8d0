"""Core panel pages: dashboard, section landing pages, users and roles, audit log, language, health."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django.views.i18n import set_language as django_set_language

from oms import selectors, services
from oms.access import role_required
from oms.dashboard import panels_for as dashboard_panels_for
from oms.errors import NotPermitted
from oms.events import timeline_for
from oms.filters import AuditLogFilter, UserFilter
from oms.forms import RolesForm
from oms.http import is_partial
from oms.middleware import problem_response, wants_json
from oms.models import User
from oms.navigation import BY_KEY, SECTIONS, visible_sections
from oms.pagination import paginate


def render_list(
    request: HttpRequest, template: str, context: dict, *, partial: str = "results"
) -> HttpResponse:
    """Full page, or only the named partial for an htmx request (but the page for history restore)."""
    if is_partial(request):
        template = f"{template}#{partial}"
    return render(request, template, context)


@vary_on_headers("HX-Request")
@role_required("oms.view_dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    sections = [s for s in visible_sections(request.user, SECTIONS) if s.key != "dashboard"]
    return render(
        request,
        "oms/dashboard.html",
        {
            "sections": sections,
            "background": selectors.background_health(),
            "panels": dashboard_panels_for(request.user),
            "recent_changes": selectors.audit_log_list()[:8]
            if request.user.has_perm("oms.view_auditlog")
            else [],
        },
    )


def section_index(key: str) -> Callable[[HttpRequest], HttpResponse]:
    """Landing page of an app's section, guarded by the section's permission.

    Each app replaces it with its real pages when its issue lands.
    """
    section = BY_KEY[key]

    @role_required(section.permission)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "oms/section.html", {"section": section})

    view.__name__ = f"{key}_index"
    return view


@vary_on_headers("HX-Request")
@role_required("oms.manage_users")
def user_list(request: HttpRequest) -> HttpResponse:
    filterset = UserFilter(request.GET, queryset=selectors.user_list())
    page = paginate(request, filterset.qs.distinct(), ordering=("username", "pk"))
    return render_list(request, "oms/users.html", {"filter": filterset, "page": page})


@role_required("oms.manage_users")
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        form = RolesForm(request.POST)
        if form.is_valid():
            services.assign_roles(user=user, roles=form.cleaned_data["roles"], by=request.user)
            messages.success(request, _("Roles of %(user)s saved.") % {"user": user})
            return redirect("users")
    else:
        form = RolesForm(initial={"roles": list(user.groups.values_list("name", flat=True))})
    timeline = timeline_for(user)[:20]
    return render(request, "oms/user_roles.html", {"subject": user, "form": form, "timeline": timeline})


@vary_on_headers("HX-Request")
@role_required("oms.view_auditlog")
def audit_log(request: HttpRequest) -> HttpResponse:
    filterset = AuditLogFilter(request.GET, queryset=selectors.audit_log_list())
    page = paginate(request, filterset.qs, ordering=("-created_at", "-pk"))
    return render_list(request, "oms/audit_log.html", {"filter": filterset, "page": page})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (cookie), and the choice is remembered on the user's profile."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    known = check_for_language(language) and language in dict(settings.LANGUAGES)
    if user.is_authenticated and known and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker: the process answers and the database does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return problem_response(NotPermitted(_("Your role does not allow this."), code="forbidden"), request)
    return render(request, "errors/403.html", status=403)
