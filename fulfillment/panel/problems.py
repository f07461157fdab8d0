"""The problem queue: open problems by kind and warehouse; take, release, resolve with a note.

Acts call ``fulfillment.problems``; a refusal (someone else holds it, already resolved) is a
``DomainError`` the middleware shows as a message. With htmx an act swaps only the problem's row.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from fulfillment import problems as services
from fulfillment.filters import ProblemFilter
from fulfillment.forms import ResolveProblemForm
from fulfillment.models import Problem, ProblemKind
from oms.access import role_required
from oms.errors import InvalidInput
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list

ACCESS = "oms.access_fulfillment"
ORDERING = ("-created_at", "-id")


def _open_problems():
    return Problem.objects.filter(resolved_at__isnull=True).select_related(
        "warehouse", "order", "shipment", "variant", "bin", "assignee"
    )


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def problem_list(request: HttpRequest) -> HttpResponse:
    filterset = ProblemFilter(request.GET, queryset=_open_problems(), request=request)
    page = paginate(request, filterset.qs, ordering=ORDERING)
    summary_rows = (
        Problem.objects.filter(resolved_at__isnull=True)
        .order_by()
        .values("kind", "warehouse_id", "warehouse__code")
        .annotate(n=Count("pk"))
        .order_by("warehouse__code", "kind")
    )
    labels = dict(ProblemKind.choices)
    summary = [
        {
            "kind": r["kind"],
            "label": labels.get(r["kind"], r["kind"]),
            "warehouse_id": r["warehouse_id"],
            "warehouse": r["warehouse__code"],
            "n": r["n"],
        }
        for r in summary_rows
    ]
    return render_list(
        request,
        "fulfillment/problems/list.html",
        {"filter": filterset, "page": page, "summary": summary, "resolve_form": ResolveProblemForm()},
    )


def _after_act(request: HttpRequest, problem_id: int) -> HttpResponse:
    if is_partial(request):
        problem = get_object_or_404(
            Problem.objects.select_related("warehouse", "order", "shipment", "variant", "bin", "assignee"),
            pk=problem_id,
        )
        return render(
            request,
            "fulfillment/problems/_row.html",
            {"problem": problem, "resolve_form": ResolveProblemForm()},
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("fulfillment:problems")


@role_required(ACCESS)
@require_POST
def problem_take(request: HttpRequest, pk: int) -> HttpResponse:
    services.take_problem(pk, user=request.user)
    messages.success(request, _("You are working on this problem now."))
    return _after_act(request, pk)


@role_required(ACCESS)
@require_POST
def problem_release(request: HttpRequest, pk: int) -> HttpResponse:
    services.release_problem(pk, user=request.user, force=request.user.has_perm("fulfillment.change_problem"))
    messages.success(request, _("Problem put back in the queue."))
    return _after_act(request, pk)


@role_required(ACCESS)
@require_POST
def problem_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ResolveProblemForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Write what was done to resolve the problem."), code="resolution_required")
    services.resolve_problem(pk, user=request.user, resolution=form.cleaned_data["resolution"])
    messages.success(request, _("Problem resolved."))
    return _after_act(request, pk)
