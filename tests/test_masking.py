"""Secrets never reach the terminal: the masker of the command line's last line and of logs."""

from __future__ import annotations

import io
import logging

from engine.masking import MASK, Secrets, install_log_masking

TOKEN = "654321:AAH-masking-test-token_0123456789abcdef"


def test_registered_values_and_secret_looking_variables_are_masked() -> None:
    secrets = Secrets()
    secrets.add_environ({"BOT_TOKEN": "plain-bot-token", "REGOS_INTEGRATION_KEY": "d3m0a5b7c9",
                         "DB_PASSWORD": "hunter22", "CAFE_NAME": "Demo café",
                         "SHOP_API": "visible-value"}, names=["SHOP_API"])
    text = secrets.mask("token plain-bot-token key d3m0a5b7c9 pw hunter22 in Demo café")
    assert text == f"token {MASK} key {MASK} pw {MASK} in Demo café"
    assert secrets.mask("visible-value") == MASK, "a name declared secret is masked too"


def test_short_values_are_not_masked_so_ordinary_text_stays_readable() -> None:
    secrets = Secrets()
    secrets.add("1", "abc", "")
    assert secrets.mask("abc 1") == "abc 1"


def test_a_bot_token_and_a_url_password_are_masked_without_being_registered() -> None:
    secrets = Secrets()
    assert secrets.mask(f"ht!tp:/bad%20url/bot{TOKEN}/deleteWebhook") == \
        f"ht!tp:/bad%20url/bot{MASK}/deleteWebhook"
    assert secrets.mask(f"token {TOKEN} refused") == f"token 654321:{MASK} refused"
    assert secrets.mask("postgresql+asyncpg://vin:S3cret@db:5432/vin") == \
        f"postgresql+asyncpg://vin:{MASK}@db:5432/vin"
    assert secrets.mask("http://127.0.0.1:8081/gateway") == "http://127.0.0.1:8081/gateway"


def test_the_log_filter_masks_messages_their_arguments_and_tracebacks() -> None:
    secrets = Secrets()
    secrets.add("the-integration-key")
    logger = logging.getLogger("tests.masking")
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        install_log_masking(logger, secrets)
        install_log_masking(logger, secrets)  # idempotent: one filter per handler
        assert len(handler.filters) == 1
        logger.warning("calling %s/v1/Item/Get", "https://regos/the-integration-key")
        try:
            raise RuntimeError(f"no answer from /bot{TOKEN}/getMe")
        except RuntimeError:
            logger.exception("start-up failed with the-integration-key")
    finally:
        logger.removeHandler(handler)
    printed = stream.getvalue()
    assert "the-integration-key" not in printed
    assert TOKEN not in printed
    assert f"calling https://regos/{MASK}/v1/Item/Get" in printed
    assert f"RuntimeError: no answer from /bot{MASK}/getMe" in printed, "the traceback is kept"
