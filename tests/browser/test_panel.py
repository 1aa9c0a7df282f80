"""The VIN desk's admin panel in Chromium, served by the playground beside its page: an
administrator logs in, finds a customer's ticket by its VIN, cancels it with a reason and sees the
reason in its history; a form posted without its CSRF token is refused."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from .conftest import PANEL_PASSWORD, Server, screenshot

VIN = "JT2AE09W4P0038539"


def api(page: Page, server: Server, path: str, body: dict[str, Any]) -> Any:
    reply = page.request.post(f"{server.url}{path}", data=body)
    assert reply.ok, reply.text()
    return reply.json()["result"]


def test_an_administrator_finds_a_ticket_and_cancels_it_with_a_reason(page: Page, server: Server) -> None:
    customer = api(page, server, "/api/people", {"first_name": "Dana", "language_code": "en"})
    api(page, server, "/api/bots/vin_report/send", {"chat_id": None, "user_id": customer["id"], "text": VIN})
    page.goto(f"{server.url}/admin/tickets?lang=en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # no session yet
    page.get_by_label("Name").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    page.get_by_label("Name").fill("admin")
    page.get_by_label("Password").fill(PANEL_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("VIN contains").fill("0038539")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#total")).to_have_text("1")
    page.locator("#tickets a").first.click()
    expect(page.locator("#status")).to_have_text("new")
    page.get_by_label("Reason").fill("the customer asked by phone")
    page.get_by_role("button", name="Cancel the ticket").click()
    expect(page.get_by_role("status")).to_have_text("The ticket was canceled.")
    expect(page.locator("#status")).to_have_text("canceled")
    expect(page.locator("#history")).to_contain_text("the customer asked by phone")
    screenshot(page, "panel_ticket_canceled")
    forged = page.request.post(f"{page.url.split('?')[0]}/priority", form={"csrf": "forged"})
    assert forged.status == 403
    page.goto(f"{server.url}/admin/stats")
    expect(page.locator("#chart svg")).to_be_visible()
