"""Key figures on the dashboard, contributed by the apps.

The core cannot import the business apps (they depend on it), so each app registers a provider in
its ``AppConfig.ready``; the dashboard asks the providers the user may see. A provider returns
``Figure`` rows and should cost one or two aggregate queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Figure:
    label: str | Promise
    value: int
    url: str = ""
    # "error" | "warn" | "ok" | "info": how the figure is coloured when it is not zero.
    tone: str = "info"


@dataclass(frozen=True)
class _Provider:
    title: str | Promise
    permission: str
    build: Callable[[], list[Figure]]


_providers: list[_Provider] = []


def register(title: str | Promise, *, permission: str) -> Callable:
    """Decorator: ``build()`` returns the figures of one dashboard panel for users with ``permission``."""

    def decorator(build: Callable[[], list[Figure]]) -> Callable[[], list[Figure]]:
        if not any(p.build is build for p in _providers):
            _providers.append(_Provider(title, permission, build))
        return build

    return decorator


def panels_for(user) -> list[tuple[str | Promise, list[Figure]]]:
    return [(p.title, p.build()) for p in _providers if user.has_perm(p.permission)]
