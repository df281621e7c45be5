"""The pizzeria's eval sets (ADK format, one file per kind of repair) and the script that writes them."""
