"""Secrets never reach the terminal: one masker for the command line's last line and for logs.

:data:`SECRETS` holds the values to hide. The command line registers the secret-looking
variables of the environment (:func:`Secrets.add_environ`: ``BOT_TOKEN``, ``*_KEY``,
``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``), start-up adds the settings a scenario declares
``secret: true``, and :class:`MaskingFilter` applies it to every log record, traceback included.
Whatever was registered or not, two shapes are always masked: a bot token in a Bot API URL
(``/bot123:ABC.../``, also a bare ``123456:AA...`` token) and the password of a URL
(``postgresql://user:***@host``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

__all__ = ["MASK", "SECRETS", "MaskingFilter", "Secrets", "install_log_masking", "mask"]

MASK = "***"
#: names of environment variables whose values are secrets
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|(^|_)KEY$|API_?KEY|CREDENTIAL")
#: shorter values are too likely to occur by chance in ordinary text
_MIN_LENGTH = 6
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/bot)\d+:[^/\s]+"), rf"\1{MASK}"),                      # /bot<token>/getMe
    (re.compile(r"\b(\d{5,}):[A-Za-z0-9_-]{30,}"), rf"\1:{MASK}"),         # 123456:AAH...
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@", re.I), rf"\1{MASK}@"),
)


class Secrets:
    """A set of secret values and :meth:`mask`, which hides them (longest first) in a text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._ordered: tuple[str, ...] = ()

    def add(self, *values: object) -> None:
        """Hide these values from now on (short and empty ones are ignored)."""
        fresh = {str(v) for v in values if v is not None and len(str(v)) >= _MIN_LENGTH}
        with self._lock:
            if fresh <= self._values:
                return
            self._values |= fresh
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def add_environ(self, environ: Mapping[str, str], names: Iterable[str] = ()) -> None:
        """The values of secret-looking variables, and of ``names`` (declared secret)."""
        wanted = set(names)
        self.add(*(value for name, value in environ.items()
                   if name in wanted or _SECRET_NAME.search(name.upper())))

    def mask(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


#: the process's secrets: the command line fills it, logging and the last line use it
SECRETS = Secrets()


def mask(text: str) -> str:
    """``text`` with every secret of :data:`SECRETS` (and every token- or password-shaped part)
    replaced by ``***``."""
    return SECRETS.mask(text)


class MaskingFilter(logging.Filter):
    """A handler filter: the record's message and traceback with secrets masked.

    The message is rendered (``msg % args``) and masked once, so formatters downstream print it
    as it is; a traceback is formatted here and stored masked in ``exc_text``, which
    :class:`logging.Formatter` prints instead of formatting the exception again.
    """

    def __init__(self, secrets: Secrets = SECRETS) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error report
            return True
        record.msg, record.args = self.secrets.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.secrets.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.secrets.mask(record.stack_info)
        return True


def install_log_masking(logger: logging.Logger | None = None, secrets: Secrets = SECRETS) -> None:
    """Mask secrets in everything the handlers of ``logger`` (default: the root) print."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter(secrets))
