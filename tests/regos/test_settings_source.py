"""Settings from REGOS: cached fresh copy, stale copy when REGOS fails, secrets never cached."""

from __future__ import annotations

import asyncio

import pytest

from actions.regos.api import RegosApi
from actions.regos.emulator import RegosEmulator
from actions.regos.errors import RegosTransportError
from actions.regos.settings_source import RegosSettingsSource, is_secret
from engine.runtime.storage import MemoryKV
from tests.regos.conftest import FakeTime

SETTINGS = {"bot_token": "123:ABC", "Stock_Id": "1", "SMTP_PASSWORD": "pw", "MIN_ORDER_AMOUNT": "20000"}


class FakeApi:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.settings = dict(SETTINGS)

    async def integration_settings(self) -> dict[str, str]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RegosTransportError("Settings/Get: HTTP 502", status=502)
        return dict(self.settings)


@pytest.fixture
def kv(fake_time: FakeTime) -> MemoryKV:
    return MemoryKV(clock=fake_time)


def test_secret_keys() -> None:
    assert [k for k in ("BOT_TOKEN", "api_secret", "DB_PASSWORD", "STOCK_ID") if is_secret(k)] == [
        "BOT_TOKEN", "api_secret", "DB_PASSWORD"]


async def test_keys_are_upper_cased_and_the_fresh_copy_is_reused(kv: MemoryKV, fake_time: FakeTime) -> None:
    api = FakeApi()
    source = RegosSettingsSource(api, kv, "ci", ttl=60)
    first = await source.fetch()
    assert first == {"BOT_TOKEN": "123:ABC", "STOCK_ID": "1", "SMTP_PASSWORD": "pw",
                     "MIN_ORDER_AMOUNT": "20000"}
    fake_time.now += 30
    assert await source.fetch() == first
    assert api.calls == 1
    fake_time.now += 31
    api.settings["STOCK_ID"] = "2"
    assert (await source.fetch())["STOCK_ID"] == "2"
    assert api.calls == 2


async def test_secrets_never_reach_the_cache(kv: MemoryKV) -> None:
    source = RegosSettingsSource(FakeApi(), kv, "ci")
    await source.fetch()
    for key in (source.fresh_key, source.stale_key):
        cached = await kv.get(key)
        assert cached is not None
        assert "123:ABC" not in cached
        assert "pw" not in cached
        assert "20000" in cached


async def test_a_process_without_the_secrets_asks_regos(kv: MemoryKV) -> None:
    await RegosSettingsSource(FakeApi(), kv, "ci").fetch()
    other_api = FakeApi()
    other = RegosSettingsSource(other_api, kv, "ci")  # another worker, same cache
    assert (await other.fetch())["BOT_TOKEN"] == "123:ABC"
    assert other_api.calls == 1


async def test_the_stale_copy_is_served_when_regos_fails(kv: MemoryKV, fake_time: FakeTime,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi()
    source = RegosSettingsSource(api, kv, "ci", ttl=60, stale_ttl=3600)
    await source.fetch()
    fake_time.now += 120
    api.fail = True
    stale = await source.fetch()
    assert stale["MIN_ORDER_AMOUNT"] == "20000"
    assert stale["BOT_TOKEN"] == "123:ABC"  # this process still knows it
    assert "stale copy" in caplog.text


async def test_no_stale_copy_means_the_error_is_raised(kv: MemoryKV, fake_time: FakeTime) -> None:
    api = FakeApi()
    api.fail = True
    source = RegosSettingsSource(api, kv, "ci", ttl=60, stale_ttl=600)
    with pytest.raises(RegosTransportError):
        await source.fetch()
    api.fail = False
    await source.fetch()
    fake_time.now += 601  # even the stale copy has gone
    api.fail = True
    with pytest.raises(RegosTransportError):
        await source.fetch()


async def test_concurrent_fetches_make_one_regos_call(kv: MemoryKV) -> None:
    api = FakeApi()
    api.gate = asyncio.Event()
    source = RegosSettingsSource(api, kv, "ci")
    tasks = [asyncio.create_task(source.fetch()) for _ in range(5)]
    await asyncio.sleep(0)
    api.gate.set()
    results = await asyncio.gather(*tasks)
    assert api.calls == 1
    assert all(r == results[0] for r in results)
    results[0]["STOCK_ID"] = "changed"
    assert (await source.fetch())["STOCK_ID"] == "1"  # every caller gets its own dict


async def test_refresh_drops_the_fresh_copy(kv: MemoryKV) -> None:
    api = FakeApi()
    source = RegosSettingsSource(api, kv, "ci")
    await source.fetch()
    await source.refresh()
    assert api.calls == 2


async def test_with_the_real_api_and_the_emulator(api: RegosApi, emu: RegosEmulator, kv: MemoryKV) -> None:
    source = RegosSettingsSource(api, kv, api.connected_integration_id)
    settings = await source.fetch()
    assert settings["ORDER_SOURCE_ID"] == "1"
    assert source.name == "REGOS"
