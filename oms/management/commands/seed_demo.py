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

    def handle(self, *args, seed: int, if_empty: bool, **options):
        from oms.models import User

        if if_empty and User.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        with transaction.atomic(), audit.acting_as(label="seed_demo"):
            users = seed_users(rng)
        self.stdout.write(
            self.style.SUCCESS(f"Demo shop ready: {len(users)} users (password: {DEMO_PASSWORD}).")
        )
