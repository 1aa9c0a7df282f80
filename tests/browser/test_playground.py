"""The web playground in Chromium, clicked through as a person would, against the real server
(``python -m engine playground``) running both shipped bots on a copy of scenarios/ and templates/.

The tests of this module share one server (per xdist worker) and do not depend on each other's order:
the orders bot, the VIN desk, then live edits of the copied files. Screenshots of each bot's chat are
saved in tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Server, screenshot

REPORT_PDF = ROOT / "scenarios" / "samples" / "report.pdf"
VIN = "WDBEA30D3HA391172"


class Ui:
    """What a person does in the page, in the page's own words (buttons, fields, panels)."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page = page
        self.server = server
        page.goto(server.url)
        expect(page.locator("#bots button").first).to_be_visible()

    def bot(self, name: str) -> None:
        self.page.click(f"#bots button[data-bot='{name}']")
        expect(self.page.locator(f"#bots button[data-bot='{name}']")).to_have_class(re.compile("active"))

    def person(self, name: str) -> None:
        self.page.click(f"#people button[data-person='{name}']")
        expect(self.page.locator(f"#people button[data-person='{name}']")).to_have_class(re.compile("active"))

    def chat(self, name: str) -> None:
        self.page.click(f"#chats button[data-chat='{name}']")
        expect(self.page.locator(f"#chats button[data-chat='{name}']")).to_have_class(re.compile("active"))

    def language(self, code: str) -> None:
        self.page.select_option("#locale", code)

    def send(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")

    def press(self, label: str) -> None:
        """Clicks the inline button with this label on the newest message that has it."""
        self.page.locator("#messages .inline-button", has_text=label).last.click()

    def reply_key(self, label: str) -> None:
        self.page.locator("#reply-keyboard .reply-button", has_text=label).click()

    def sees(self, text: str) -> None:
        expect(self.page.locator("#messages .bubble.in").filter(has_text=text).last).to_be_visible()

    def tab(self, name: str) -> None:
        self.page.click(f"#tabs button[data-tab='{name}']")


def test_orders_from_start_to_an_order_in_the_regos_panel(page: Page, server: Server) -> None:
    ui = Ui(page, server)
    ui.bot("orders")
    ui.person("Alice")
    ui.language("en")
    ui.send("/start")
    ui.sees("Hello, Alice!")
    ui.press("🛍 Catalog")
    ui.sees("Choose a category")
    ui.press("All items")
    ui.press("Помидоры розовые")
    ui.sees("SKU: BM-001")
    expect(page.locator("#messages .bubble.in .media img").last).to_be_visible()
    ui.press("+")
    ui.press("➕ Add to cart")
    ui.press("🛒 Cart")
    ui.sees("Total: 36,000 UZS")
    ui.press("✅ Place order")
    ui.reply_key("Share my number")
    page.fill("#contact-phone", "998907654321")
    page.click("#contact-send")
    ui.sees("Thank you!")
    ui.reply_key("Send location")
    page.click("#location-presets button:has-text('Tashkent')")
    page.click("#location-send")
    ui.sees("Add a comment to your order")
    ui.send("Ring twice")
    ui.sees("Comment: Ring twice")
    ui.press("✅ Confirm order")
    ui.sees("has been placed!")
    screenshot(page, "orders-chat")
    ui.tab("sandbox")
    orders = page.locator("#sandbox .sandbox-panel").filter(has_text="order")
    expect(orders.locator("td").filter(has_text="Ring twice").first).to_be_visible()
    ui.tab("calls")
    expect(page.locator("#calls .call .method", has_text="sendMessage").first).to_be_visible()
    with page.expect_download() as download:
        page.click("#save-test")
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert "scenario: orders" in saved
    for step in ("send: /start", "click: 🛍 Catalog", "share_contact:", "send_location:",
                 "send: Ring twice", "click: ✅ Confirm order"):
        assert step in saved, step


def test_vin_desk_a_manager_delivers_the_report_to_the_customer(page: Page, server: Server) -> None:
    ui = Ui(page, server)
    ui.bot("vin_report")
    ui.person("Alice")
    ui.language("en")
    ui.send(VIN)
    ui.sees("Request #1 received")
    ui.person("Manager")
    ui.language("en")
    ui.chat("Managers")
    ui.sees(VIN)
    ui.press("🙋")
    ui.sees("Manager")
    card = page.locator("#messages .bubble.in").filter(has_text=VIN).first
    card.hover()
    card.locator(".reply-action").click()
    expect(page.locator("#replying")).to_be_visible()
    page.set_input_files("#file", str(REPORT_PDF))
    ui.sees("delivered to the customer")
    ui.person("Alice")
    ui.chat("private")
    report = page.locator("#messages .bubble.in .media .document").filter(has_text="report.pdf").last
    expect(report).to_be_visible()
    assert (report.get_attribute("href") or "") != ""
    ui.sees(f"Report for VIN {VIN}")
    screenshot(page, "vin-report-chat")


def test_a_label_edited_on_disk_shows_in_the_open_chat_without_a_restart(page: Page, server: Server) -> None:
    ui = Ui(page, server)
    ui.bot("orders")
    ui.person("Alice")
    ui.language("en")
    labels = server.project / "templates" / "orders" / "en" / "labels.yaml"
    text = labels.read_text(encoding="utf-8")
    assert '  catalog: "🛍 Catalog"' in text
    labels.write_text(text.replace('  catalog: "🛍 Catalog"', '  catalog: "🛍 Browse the shop"', 1),
                      encoding="utf-8")
    ui.send("/start")
    expect(page.locator("#messages .inline-button", has_text="🛍 Browse the shop").last).to_be_visible()
    expect(page.locator("#diagnostics")).to_be_hidden()
    assert server.process.poll() is None


def test_a_broken_edit_shows_its_diagnostic_while_the_old_version_answers(page: Page, server: Server) -> None:
    ui = Ui(page, server)
    ui.bot("orders")
    ui.person("Alice")
    ui.language("en")
    scenario = server.project / "scenarios" / "orders.yaml"
    good = scenario.read_text(encoding="utf-8")
    home = "    windows:\n      home:\n"
    broken = good.replace(home, home + "        text: [unclosed\n", 1)
    assert broken != good
    scenario.write_text(broken, encoding="utf-8")
    banner = page.locator("#diagnostics")
    expect(banner).to_be_visible()
    expect(banner.locator(".diagnostic .where").first).to_contain_text(re.compile(r"orders\.yaml:\d+:\d+"))
    ui.send("/start")
    ui.sees("Hello, Alice!")
    screenshot(page, "orders-broken-edit")
    scenario.write_text(good, encoding="utf-8")
    expect(banner).to_be_hidden()


def test_the_page_is_served_whole_from_the_server(page: Page, server: Server) -> None:
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((server.url, "data:", "blob:")) else None)
    Ui(page, server)
    page.wait_for_timeout(500)
    assert outside == []
