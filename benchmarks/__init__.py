"""Benchmarks that print tables (`python -m benchmarks.<name>`); figures in benchmarks/README.md.

Also what they share with the tests: `fake_graph` (Meta's Graph API), `payloads` (WhatsApp
webhook notifications) and `service_process` (a real service process started and stopped).
Benchmarks never import from `tests/`.
"""
