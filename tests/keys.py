"""Strong secrets for tests: the settings refuse a placeholder, short or patterned key."""

# Random once (secrets.token_urlsafe(36)); the same in every test so several workers share sessions.
TEST_SECRET_KEY = "q3N8vX1rTk9bLw2ZcYp7HmF4dJs6GaE0uRxVnKoQiWt5"
TEST_METRICS_TOKEN = "Mv7Qy2LpX9cRk4TnZb1WdHs8FgJa3EuY6NoVxKiPrCt0"
