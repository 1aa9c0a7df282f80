"""``python -m actions.tickets.panel create-user NAME`` (or ``set-password NAME``): the password is
read from standard input (at least 12 characters), the account written to ``DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os
import re
import sys

from actions.tickets.panel.security import PASSWORD_LIMIT, hash_password
from actions.tickets.store import DEFAULT_DATABASE_URL, create_store, upgrade_database

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD = 12


async def run(command: str, name: str, password: str) -> int:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    await upgrade_database(url)
    store = create_store(url)
    try:
        if command == "create-user":
            if not await store.add_account(name, hash_password(password)):
                print(f"an account named {name!r} exists (use set-password)", file=sys.stderr)
                return 1
        elif not await store.set_password(name, hash_password(password)):
            print(f"no account named {name!r}", file=sys.stderr)
            return 1
    finally:
        await store.close()
    print(f"{command}: {name} done")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("create-user", "set-password") or not NAME.fullmatch(argv[1]):
        print("usage: python -m actions.tickets.panel create-user|set-password NAME  "
              "(the password on standard input)", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        print(f"the password must have at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 2
    if len(password) > PASSWORD_LIMIT:  # the log-in form would cut it and never match
        print(f"the password must have at most {PASSWORD_LIMIT} characters", file=sys.stderr)
        return 2
    return asyncio.run(run(argv[0], argv[1], password))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
