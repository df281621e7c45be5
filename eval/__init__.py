"""Measuring conversations: `python -m eval` replays the eval sets through the real agents and reports cost and state."""
