"""Benchmarks that print tables (`python -m benchmarks.<name>`); figures in benchmarks/README.md. Never run by the tests."""
