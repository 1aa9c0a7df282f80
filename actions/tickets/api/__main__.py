"""``python -m actions.tickets.api new-key NAME``: a new API key for an app and its ``API_KEYS`` pair."""

from __future__ import annotations

import sys

from actions.tickets.api.keys import CLIENT_NAME, hash_key, new_key


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "new-key" or not CLIENT_NAME.fullmatch(argv[1]):
        print("usage: python -m actions.tickets.api new-key NAME  (NAME: letters, digits, . _ -)",
              file=sys.stderr)
        return 2
    key = new_key()
    print(f"key (give it to the app, it is not stored anywhere): {key}")
    print(f"add to API_KEYS: {argv[1]}:{hash_key(key)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
