"""What the VIN desk offers conversation tests: ``ticket: {id: 1, status: done}`` (and optionally
``assignee: <first name>``), read from the sandbox's ticket database.

A fixture for tests that start at a window: ``requests: [VIN, ...]`` sends each VIN as the
customer would (the desk's ``submit``: a new ticket and its card in the managers' group)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.tickets.store import create_store
from engine.actions import ActionContext

if TYPE_CHECKING:
    from engine.playground.sandbox import Sandbox

__all__ = ["offer_checks", "requests_fixture"]


def offer_checks(sandbox: Sandbox, database_url: str) -> None:
    async def ticket(value: Any, user_id: int) -> str | None:
        if not isinstance(value, dict) or "id" not in value:
            return "ticket needs {id: N, status: new|taken|done|canceled}"
        store = create_store(database_url)
        try:
            found = await store.get(int(value["id"]))
        finally:
            await store.close()
        if found is None:
            return f"no ticket {value['id']}"
        status = str(found.status).lower()
        if "status" in value and status != str(value["status"]).lower():
            return f"ticket {found.id} is {status}"
        if "assignee" in value and found.assignee_name != str(value["assignee"]):
            return f"ticket {found.id} is assigned to {found.assignee_name}"
        return None

    sandbox.add_check("ticket", ticket)
    sandbox.add_fixture("requests", requests_fixture)


async def requests_fixture(value: Any, ctx: ActionContext) -> str | None:
    from actions.tickets.customer import submit

    vins = value if isinstance(value, list) else [value]
    for vin in vins:
        result = await submit(ctx, vin=str(vin))
        if result.outcome != "ok":
            return f"the request for {vin} was {result.outcome}"
    return None
