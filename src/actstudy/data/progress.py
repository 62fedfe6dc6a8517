"""Progress lines for long downloads and preparations, logged at INFO for the workflow log."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)

MIB = 1 << 20


class Progress:
    """Log how far a task has got every ``step`` of its total, and at least every ``seconds``."""

    def __init__(
        self, task: str, total: int | None, unit: str, step: float = 0.1, seconds: float = 10.0
    ) -> None:
        self.task = task
        self.total = total
        self.unit = unit
        self.step = step
        self.seconds = seconds
        self.done = 0
        self._next_mark = step
        self._last_log = time.monotonic()

    def _amount(self, value: int) -> str:
        return f"{value / MIB:,.1f}" if self.unit == "bytes" else f"{value:,}"

    def _log(self) -> None:
        unit = "MiB" if self.unit == "bytes" else self.unit
        if self.total:
            percent = 100 * self.done // self.total
            logger.info(
                "%s: %d%% (%s of %s %s)",
                self.task,
                percent,
                self._amount(self.done),
                self._amount(self.total),
                unit,
            )
        else:
            logger.info("%s: %s %s so far", self.task, self._amount(self.done), unit)
        self._last_log = time.monotonic()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        crossed = bool(self.total) and self.done >= self._next_mark * self.total
        if crossed:
            while self._next_mark * self.total <= self.done:
                self._next_mark += self.step
        if crossed or time.monotonic() - self._last_log >= self.seconds:
            self._log()
