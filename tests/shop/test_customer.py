"""Phone sharing: own contact only, digits only, find by main phone or create; never a duplicate
customer on a lookup error; later visits recognised by field_telegram_id."""

from __future__ import annotations

from actions.shop.services import Shop
from engine.testing import Playground
from tests.shop.conftest import KNOWN_PHONE, ORDERS, Regos, identify, start


def customers_with(regos: Regos, phone: str) -> list[int]:
    return [c.id for c in regos.emu.shop.customers.values() if c.main_phone == phone]


async def test_an_existing_customer_is_found_by_phone_and_linked(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await identify(alice, "+998 90 123-45-67")
    assert "Спасибо! Мы вас нашли" in alice.texts()
    [customer_id] = customers_with(regos, KNOWN_PHONE)
    customer = regos.emu.shop.customers[customer_id]
    assert customer.fields["field_telegram_id"] == str(alice.id)
    lookup = regos.emu.calls_of("RetailCustomer/Get")[-1]
    assert {"Field": "main_phone", "Operator": "Equal", "Value": KNOWN_PHONE} in lookup["filters"]
    assert regos.emu.calls_of("RetailCustomer/Add") == []
    assert "Выберите карту" in alice.last.text, "back where the phone was asked for"


async def test_a_new_phone_creates_a_customer_in_the_configured_group(play: Playground,
                                                                       regos: Regos) -> None:
    bob = await start(play, "Bob")
    await identify(bob, "998935550011")
    assert "Спасибо! Мы вас зарегистрировали" in bob.texts()
    [added] = regos.emu.calls_of("RetailCustomer/Add")
    assert added["main_phone"] == "998935550011"
    assert added["group_id"] == 1
    assert added["first_name"] == "Bob"
    assert {"key": "field_telegram_id", "value": str(bob.id)} in added["fields"]
    assert len(customers_with(regos, "998935550011")) == 1


async def test_a_forwarded_contact_is_refused(play: Playground, regos: Regos) -> None:
    mallory = await start(play, "Mallory")
    await mallory.click("💳 Карты")
    await mallory.click("📱 Указать номер")
    before = len(regos.emu.requests)
    await mallory.share_contact(KNOWN_PHONE, contact_user_id=424242)
    assert "Можно поделиться только своим номером — кнопкой ниже" in mallory.texts()
    assert regos.emu.requests[before:] == [], "a foreign contact never reaches REGOS"


async def test_a_lookup_error_is_not_read_as_not_found(play: Playground, regos: Regos) -> None:
    bob = await start(play, "Bob")
    await bob.click("💳 Карты")
    await bob.click("📱 Указать номер")
    regos.emu.faults.fail_next("RetailCustomer/Get",
                               ("error", 1008, "Invalid phone format. Details: main_phone"))
    await bob.share_contact("998935550011")
    assert "Магазин отклонил запрос" in bob.texts()
    assert regos.emu.calls_of("RetailCustomer/Add") == [], "no customer created after a failed lookup"
    regos.emu.faults.fail_next("RetailCustomer/Get", "http500", times=5)
    await bob.share_contact("998935550011")
    assert "Не удаётся связаться с магазином. Попробуйте чуть позже" in bob.texts()
    assert regos.emu.calls_of("RetailCustomer/Add") == []
    await bob.share_contact("998935550011")
    assert len(regos.emu.calls_of("RetailCustomer/Add")) == 1


async def test_a_later_visit_recognises_the_customer_by_telegram_id(regos: Regos) -> None:
    async with Playground.open(ORDERS, environ=regos.environ()) as play:
        alice = await start(play)
        await identify(alice)
        alice_id = alice.id
    async with Playground.open(ORDERS, environ=regos.environ()) as fresh:  # new process, empty cache
        again = fresh.user("Alice")
        assert again.id == alice_id
        await again.send("/start")
        assert "Здравствуйте, Азиз!" in again.last.text
        by_field = [p for p in regos.emu.calls_of("RetailCustomer/Get")
                    if any(f.get("Field") == "field_telegram_id" for f in p.get("filters", []))]
        assert by_field[-1]["filters"][0]["Value"] == str(alice_id)


async def test_an_unlinked_user_costs_one_lookup_not_one_per_menu(play: Playground, regos: Regos) -> None:
    def lookups() -> int:
        return sum(1 for p in regos.emu.calls_of("RetailCustomer/Get")
                   if any(f.get("Field") == "field_telegram_id" for f in p.get("filters", [])))

    bob = await start(play, "Bob")
    kv = play.app.runtime.services.get(Shop).kv
    real_get, reads = kv.get, []

    async def counted_get(key: str) -> str | None:
        reads.append(key)
        return await real_get(key)

    kv.get = counted_get  # type: ignore[method-assign]
    await bob.send("/start")
    await bob.send("/start")
    assert lookups() == 1
    assert sum("customer:" in key for key in reads) == 2  # one store read per menu
    await identify(bob, "998935550011")
    await bob.send("/start")
    assert "Здравствуйте, Bob!" in bob.last.text, "linking is seen at once"
