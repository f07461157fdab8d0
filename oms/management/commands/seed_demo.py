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

    def handle(self, *args, seed: int, if_empty: bool, scale: float, **options):
        from inventory.demo import seed_inventory
        from inventory.demo_activity import seed_activity
        from inventory.models import Warehouse
        from oms.models import User

        if if_empty and User.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        inventory = activity = None
        with transaction.atomic(), audit.acting_as(label="seed_demo"):
            users = seed_users(rng)
            # Warehouse codes and SKUs are fixed: an inventory that is already there stays as it is.
            if not Warehouse.objects.exists():
                inventory = seed_inventory(rng, admin=users[0], scale=scale)
                activity = seed_activity(rng, admin=users[0])
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
        self.stdout.write(
            self.style.SUCCESS(f"Demo shop ready: {', '.join(parts)} (password: {DEMO_PASSWORD}).")
        )
