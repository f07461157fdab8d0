"""Build the demo shop: deterministic for a given --seed, so screenshots and docs stay true."""

import random

from django.core.management.base import BaseCommand
from django.db import transaction

from oms import audit
from oms.demo import DEMO_PASSWORD, seed_users


class Command(BaseCommand):
    help = "Create demo data (users per role, and the data of every module that exists)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same shop)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when users already exist")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="shrink the catalogue and stock history (tests use 0.05)"
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=0,
            help="also bulk-load this many historic orders (COPY on PostgreSQL; e.g. 1000000 for benchmarks)",
        )
        parser.add_argument(
            "--orders-days", type=int, default=365, help="the bulk orders are spread over this many days"
        )

    def handle(
        self, *args, seed: int, if_empty: bool, scale: float, orders: int, orders_days: int, **options
    ):
        from billing.demo import seed_billing
        from channels.demo import seed_channels
        from fulfillment.demo import seed_fulfillment
        from inventory.demo import seed_inventory
        from inventory.demo_activity import seed_activity
        from inventory.models import Warehouse
        from oms.models import User
        from orders.demo import seed_orders
        from orders.models import Order

        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        if User.objects.exists() and (if_empty or orders):
            if orders:  # the shop is there: only add the bulk orders
                self._bulk_orders(rng, orders, orders_days)
                return
            self.stdout.write("Demo data already present; nothing to do.")
            return
        inventory = activity = sales = shipping = billing = None
        with transaction.atomic(), audit.acting_as(label="seed_demo"):
            users = seed_users(rng)
            # Warehouse codes and SKUs are fixed: an inventory that is already there stays as it is.
            if not Warehouse.objects.exists():
                inventory = seed_inventory(rng, admin=users[0], scale=scale)
                activity = seed_activity(rng, admin=users[0])
            # Channels are kept by code; orders only come with a fresh shop (their SKUs are its SKUs).
            channels = seed_channels(rng)
            if inventory and not Order.objects.exists():
                sales = seed_orders(rng, users=users, channels=channels, scale=scale)
                shipping = seed_fulfillment(rng, admin=users[0])
                billing = seed_billing(rng, admin=users[0])
        parts = [f"{len(users)} users"]
        if inventory:
            parts += [
                f"{inventory['warehouses']} warehouses ({inventory['bins']} bins)",
                f"{inventory['products']} products ({inventory['variants']} variants)",
                f"{inventory['movements']} stock movements",
                f"{inventory['reservations']} active reservations",
                f"{activity['purchasing'].get('suppliers', 0)} suppliers",
                f"{activity['purchasing'].get('purchase_orders', 0)} purchase orders",
                f"{activity['transfers'].get('transfers', 0)} transfers",
                f"{activity['counts'].get('counts', 0)} counts",
            ]
        else:
            parts.append("inventory already present, left as it was")
        if sales:
            parts += [
                f"{sales['channels']} sales channels",
                f"{sales['customers']} customers",
                f"{sales['orders']} orders ({sales['service_orders']} through the order services)",
            ]
        if shipping:
            parts += [
                f"{shipping['carriers']} carrier accounts",
                f"{shipping['pick_lists']} pick lists",
                f"{shipping['shipments']} shipments",
                f"{shipping['manifests']} manifests",
                f"{shipping['problems']} open fulfillment problems",
            ]
        if billing:
            parts += [
                f"{billing['invoices']} invoices",
                f"{billing['credit_notes']} credit notes",
                f"{billing['payments']} payments",
                f"{billing['accounts']} B2B accounts",
                f"{billing['quotes']} quotes",
            ]
        self.stdout.write(
            self.style.SUCCESS(f"Demo shop ready: {', '.join(parts)} (password: {DEMO_PASSWORD}).")
        )
        if orders:
            self._bulk_orders(rng, orders, orders_days)

    def _bulk_orders(self, rng: random.Random, count: int, days: int) -> None:
        """``--orders N``: N historic orders and a customer per four of them, in bulk (orders.bulk)."""
        from orders.bulk import analyze, load_shop_history

        stats = load_shop_history(rng, count=count, days=days, progress=self.stdout.write)
        analyze()
        rows = f"{stats.lines:,} lines, {stats.events:,} timeline rows, {stats.customers:,} new customers"
        self.stdout.write(
            self.style.SUCCESS(
                f"Bulk-loaded {stats.orders:,} orders ({rows}) in {stats.seconds:.0f} s; tables analysed."
            )
        )
