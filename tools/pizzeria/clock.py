"""The pizzeria's clock: the local time opening hours are read against.

`PIZZERIA_NOW` (an ISO 8601 moment) stops it, for trials and tests; empty, it is the
real time. Nothing else in the pizzeria asks the system for the time of day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tools.settings import get_settings


def now(timezone: str) -> datetime:
    """The current moment in `timezone` (the pizzeria's)."""
    frozen = get_settings().pizzeria_now
    moment = frozen if frozen is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))  # a moment written without offset is local time
    return moment.astimezone(ZoneInfo(timezone))

