"""The service on top: one ASGI app serving both agents over HTTP and WhatsApp, with its inbox, leases and sessions."""
