"""The ASGI service that fronts both agents (HTTP API and the WhatsApp Cloud API webhook)."""
