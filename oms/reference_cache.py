"""Per-process caches for small reference tables read on every order (channels, warehouses, rules).

Each cache reloads after ``ttl`` seconds and at once in this process when a row of its models is
saved or deleted; other processes see a change within ``ttl``. Values are shared between requests
and must be treated as read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save

_all: list[ReferenceCache] = []


def clear_all() -> None:
    """Forget every cache (tests call it before each test: rolled-back rows send no signal)."""
    for cache in _all:
        cache.clear()


class ReferenceCache:
    def __init__(self, loader: Callable[[], Any], *, models: list[str], ttl: float = 30.0) -> None:
        _all.append(self)
        self.loader, self.ttl = loader, ttl
        self._value: Any = None
        self._at = 0.0
        self._lock = threading.Lock()
        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(
                    self._forget, sender=model, weak=False, dispatch_uid=f"{id(self)}:{model}:{signal}"
                )

    def _forget(self, **kwargs) -> None:
        self._at = 0.0

    def get(self) -> Any:
        if time.monotonic() - self._at > self.ttl:
            with self._lock:
                if time.monotonic() - self._at > self.ttl:
                    self._value = self.loader()
                    self._at = time.monotonic()
        return self._value

    def clear(self) -> None:
        self._forget()
