"""The service's own routes, one module per audience: customers (chat), Meta (WhatsApp), operators, probes."""
