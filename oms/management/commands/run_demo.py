"""Run the demo: migrate, seed when empty, start a Celery worker with beat, serve the panel.

Everything runs without PostgreSQL or Redis: SQLite under var/ and kombu's filesystem broker.
"""

import os
import signal
import subprocess
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from oms.celery import worker_command
from oms.demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Migrate, seed demo data if the database is empty, start worker+beat and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true", help="serve the panel only")

    def handle(self, *args, port: int, host: str, no_worker: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("seed_demo", if_empty=True)

        worker = None if no_worker else self._start_worker()
        url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
        self.stdout.write(self.style.SUCCESS(f"\n  OMS demo: {url}"))
        self.stdout.write(f"  Logins (password {DEMO_PASSWORD}): " + ", ".join(u for u, *_ in DEMO_LOGINS))
        self.stdout.write(f"  Django admin: {url}admin/ (user admin)")
        self.stdout.write(
            "  Worker + beat: " + ("running, log in var/celery/worker.log" if worker else "off")
        )
        self.stdout.write("  Stop with Ctrl+C.\n")
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=True)
        finally:
            if worker is not None:
                self._stop(worker)

    def _start_worker(self) -> subprocess.Popen:
        """One process runs the worker and the embedded beat (``-B``), as one demo needs."""
        celery_dir = settings.VAR_DIR / "celery"
        celery_dir.mkdir(parents=True, exist_ok=True)
        log = open(celery_dir / "worker.log", "ab")  # noqa: SIM115 - lives as long as the worker
        command = worker_command(beat_schedule=settings.CELERY_BEAT_SCHEDULE_FILENAME)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())  # noqa: S603
        time.sleep(0.5)
        if process.poll() is not None:
            self.stderr.write(f"The Celery worker exited at once; see {celery_dir / 'worker.log'}.")
        return process

    def _stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
