"""The OMS project package and core app: settings, Celery, users and roles, shared helpers."""

from oms.celery import app as celery_app

__all__ = ["celery_app"]
