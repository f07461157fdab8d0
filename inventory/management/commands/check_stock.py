"""Verify stock levels against the movement ledger, the lots and the reservations."""

from django.core.management.base import BaseCommand, CommandError

from inventory.ledger import repair_reservations, verify_stock
from oms.audit import acting_as


class Command(BaseCommand):
    help = "Report every stock level that disagrees with its ledger, lots or reservations."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="repair reservation drift from reservation rows"
        )
        parser.add_argument("--sku", action="append", default=[], help="limit to these SKUs")

    def handle(self, *args, repair: bool, sku: list[str], **options):
        from inventory.models import Variant

        variant_ids = list(Variant.objects.filter(sku__in=sku).values_list("pk", flat=True)) if sku else None
        if sku and not variant_ids:
            raise CommandError(f"No variant with SKU {', '.join(sku)}.")
        drifts = verify_stock(variant_ids=variant_ids)
        repaired = []
        if repair:
            with acting_as(label="check_stock"):
                repaired = repair_reservations(drifts)
        skus = dict(Variant.objects.filter(pk__in={d.variant_id for d in drifts}).values_list("pk", "sku"))
        for drift in drifts:
            status = "REPAIRED" if drift in repaired else "DRIFT"
            self.stdout.write(
                f"{status} {drift.check}.{drift.field} sku={skus.get(drift.variant_id)} "
                f"warehouse={drift.warehouse_id} level={drift.level} records={drift.expected}"
            )
        remaining = len(drifts) - len(repaired)
        if remaining:
            raise CommandError(f"{remaining} stock level(s) disagree with their records.")
        self.stdout.write(self.style.SUCCESS(f"Stock is consistent ({len(repaired)} repaired)."))
