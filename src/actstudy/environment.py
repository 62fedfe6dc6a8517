"""Settings read from ``ACTSTUDY_*`` environment variables, each checked where it is read: a
value that is not a finite number in range names its variable and what it must be."""

from __future__ import annotations

import math
import os


def environment_number(variable: str, default: float, minimum: float, whole: bool = False) -> float:
    """The number ``variable`` holds (``default`` where it is unset or blank): finite, at least
    ``minimum``, and a whole number where ``whole``; anything else is one sentence naming it."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    kind = "a whole number" if whole else "a number"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= minimum and (not whole or value.is_integer())):
        raise ValueError(
            f"the environment variable {variable} must be {kind} of at least {minimum:g}, "
            f"not {text!r}; fix or unset it"
        )
    return value
