"""A replica SIGKILLed mid-burst, restarted, every delivery redelivered: each message answered exactly once.

The small version of `python -m benchmarks.kill_redeliver` (real processes, real PostgreSQL).
"""

from __future__ import annotations

from benchmarks.kill_redeliver import run


def test_every_message_is_answered_exactly_once_after_a_kill_and_a_redelivery() -> None:
    figures = run(24, kill_after=0.3)
    assert figures["answered"] == 24, figures
    assert figures["duplicates"] == 0, figures
    assert figures["not_done"] == 0, figures
