"""Panel pages of fulfillment (shipments, manifests, set-up, problems), under the 'fulfillment'
namespace through ``fulfillment.urls``."""

from django.urls import path

from fulfillment.panel import handover, problems, setup, shipments

urlpatterns = [
    path("shipments/", shipments.shipment_list, name="shipments"),
    path("shipments/<int:pk>/", shipments.shipment_detail, name="shipment_detail"),
    path("manifests/", shipments.manifest_list, name="manifests"),
    path("handover/", handover.handover, name="handover"),
    path("handover/scan/", handover.scan, name="handover_scan"),
    path("handover/hand-over/", handover.hand_over, name="handover_submit"),
    path("handover/close-manifest/", handover.close_manifest, name="handover_close_manifest"),
    path("carriers/", setup.carrier_list, name="carriers"),
    path("carriers/new/", setup.carrier_create, name="carrier_create"),
    path("carriers/<int:pk>/", setup.carrier_edit, name="carrier_edit"),
    path("boxes/", setup.box_list, name="boxes"),
    path("boxes/new/", setup.box_create, name="box_create"),
    path("boxes/<int:pk>/", setup.box_edit, name="box_edit"),
    path("rules/", setup.rule_list, name="rules"),
    path("rules/new/", setup.rule_create, name="rule_create"),
    path("rules/<int:pk>/", setup.rule_edit, name="rule_edit"),
    path("problems/", problems.problem_list, name="problems"),
    path("problems/<int:pk>/take/", problems.problem_take, name="problem_take"),
    path("problems/<int:pk>/release/", problems.problem_release, name="problem_release"),
    path("problems/<int:pk>/resolve/", problems.problem_resolve, name="problem_resolve"),
]
