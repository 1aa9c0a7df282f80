"""A declarative dialog engine for Telegram bots (YAML scenarios + Jinja templates on aiogram-dialog)."""

__version__ = "0.1.0"
