"""Explicit state machines: an allowed-transition table per model and one check for all of them."""

from collections.abc import Mapping

from django.db import models

from oms.errors import IllegalTransition


def check_transition(
    *, current: str, target: str, allowed: Mapping[str, set[str]], choices: type[models.TextChoices]
) -> None:
    """Raise ``IllegalTransition`` (with human status labels) unless ``current -> target`` is allowed."""
    if target not in allowed.get(current, set()):
        labels = dict(choices.choices)
        raise IllegalTransition(
            current=str(labels.get(current, current)), target=str(labels.get(target, target))
        )
