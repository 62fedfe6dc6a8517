"""Sentences for misspelt names: what is accepted, what to remove, what was probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def unknown_options_sentence(what: str, accepted: Sequence[str], unknown: Sequence[str]) -> str:
    """'<what> takes options a, b; remove c (did you mean a?)'."""
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(accepted), n=1)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    takes = f"options {', '.join(accepted)}" if accepted else "no options"
    return f"{what} takes {takes}; remove {', '.join(hints)}"
