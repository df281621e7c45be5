"""The shop's eval sets (ADK format, one per specialist plus multi-intent) and the script that writes them."""
