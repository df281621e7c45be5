"""Below the agents: deterministic tools, the businesses' data (pizzeria files, shop database), settings, model plumbing.

Nothing here imports an agent package or the service.
"""
