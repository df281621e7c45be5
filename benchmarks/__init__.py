"""Benchmarks that print tables (`python -m benchmarks.<name>`); figures in benchmarks/README.md.

Also the stand-ins they share with the tests: `fake_graph` (Meta's Graph API) and `payloads`
(WhatsApp webhook notifications). Benchmarks never import from `tests/`.
"""
