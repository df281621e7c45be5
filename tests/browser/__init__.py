"""Browser tests: the staff panels in Chromium (Playwright) against a real service process."""
