"""REGOS.Online ERP: the HTTP client, its typed API, settings, rate limiting and an emulator."""
