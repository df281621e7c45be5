"""Typed session state: a read view (`of`) and the only way to write it (`delta`).

Each agent's state is a `SessionState` subclass whose fields are its `session.state`
keys. `State.of(session.state)` reads the keys it knows; `State.delta(key=value, ...)`
builds the `state_delta` a coordinator event or a tool records, validated against the
fields, so a misspelled key or a wrong type fails where it is written instead of
being silently dropped on the next read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class SessionState(BaseModel):
    """Base of each agent's typed state. Fields need defaults: a new session has none of them."""

    model_config = ConfigDict(extra="forbid")

    last_reply: str | None = None  # the bot's previous message, context for the next turn

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Self:
        """The typed view of `state` (keys of other layers, e.g. `temp:`, are ignored)."""
        return cls.model_validate({k: state[k] for k in cls.model_fields if k in state})

    @classmethod
    def delta(cls, **changes: Any) -> dict[str, Any]:
        """A state delta setting `changes`, as JSON-safe values; raises on an unknown key or a bad value."""
        unknown = sorted(set(changes) - set(cls.model_fields))
        if unknown:
            raise KeyError(f"{cls.__name__} has no state key {', '.join(unknown)}")
        return cls.model_validate(changes).model_dump(mode="json", include=set(changes))
