"""The pizzeria's deterministic side: menu, resolver, order arithmetic, JSON stores and ADK tools."""
