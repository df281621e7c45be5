"""The kitchen board benchmark runs (tiny sizes), so it cannot rot silently."""

from __future__ import annotations

import os

from benchmarks.kitchen_board import measure


async def test_the_board_benchmark_measures_a_render_and_a_status_change() -> None:
    before = dict(os.environ)
    result = await measure(total=30, today=10, sessions=0, repeat=2)
    assert result["replaces"] == 1  # one atomic file replace per change
    assert 1 <= result["sql"] <= 2  # one INSERT into the outbox (plus, rarely, the notifier loop's tick)
    assert result["render"][0] > 0 and result["change"][0] > 0
    with_sessions = await measure(total=5, today=5, sessions=3, repeat=1)
    assert "change" not in with_sessions
    assert dict(os.environ) == before
