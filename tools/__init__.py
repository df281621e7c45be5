"""Deterministic tools, stores and model plumbing shared by the agent packages."""
