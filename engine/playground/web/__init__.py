"""The web playground: every bot in a browser page, edited live (``python -m engine playground``)."""
