"""The real httpx client against the emulator on loopback: error mapping, retries, money."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from actions.regos.client import RegosClient
from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from actions.regos.errors import (
    RegosAccessError,
    RegosApiError,
    RegosError,
    RegosRateLimited,
    RegosTimeout,
    RegosTransportError,
    RegosValidationError,
)
from actions.regos.ratelimit import MemoryTokenBucket
from engine.errors import ServiceUnavailable
from tests.regos.conftest import FakeTime, make_client

GET_EXT = {"stock_id": 1, "price_type_id": 1, "limit": 2, "offset": 0}
ORDER = {"document": {"date": 1_750_000_000, "from_id": 1, "customer_id": 1, "stock_id": 1,
                      "price_type_id": 1, "external_code": "tg-1-abc"},
         "operations": [{"item_id": 2, "quantity": Decimal("1.5"), "price": Decimal("12000")}]}


@pytest.fixture
def single(http: httpx.AsyncClient, server: RegosEmulatorServer, fake_time: FakeTime) -> RegosClient:
    """No retries: every fault surfaces as it is."""
    return make_client(http, server, fake_time, attempts=1)


async def test_a_read_returns_the_result(client: RegosClient, emu: RegosEmulator) -> None:
    result = await client.read("Item/GetExt", GET_EXT)
    assert [row["item"]["id"] for row in result] == [1, 2]
    assert emu.calls_of("item/getext") == [GET_EXT]


async def test_validation_error_carries_the_field_path(single: RegosClient, emu: RegosEmulator) -> None:
    emu.faults.fail_next("Item/GetExt", ("error", 1008, "Input validation error: parameters are invalid. "
                                                         "Details: filters[0].Value"))
    with pytest.raises(RegosValidationError) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.field == "filters[0].Value"
    assert info.value.code == 1008
    assert info.value.method == "Item/GetExt"
    assert info.value.user_message == "regos.rejected"
    assert isinstance(info.value, ServiceUnavailable)


async def test_ok_false_8213_is_a_rate_limit(single: RegosClient, emu: RegosEmulator) -> None:
    emu.faults.fail_next("Item/GetExt", "rate_limit")
    with pytest.raises(RegosRateLimited) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.code == 8213
    assert info.value.user_message == "regos.busy"


@pytest.mark.parametrize("code", [9006, 1096])
async def test_access_codes_are_access_errors(single: RegosClient, emu: RegosEmulator, code: int) -> None:
    emu.faults.fail_next("Item/GetExt", ("error", code, "Access denied"))
    with pytest.raises(RegosAccessError) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.user_message == "regos.access"


async def test_an_unknown_code_is_an_api_error(single: RegosClient, emu: RegosEmulator) -> None:
    emu.faults.fail_next("Item/GetExt", ("error", 1029, "something else"))
    with pytest.raises(RegosApiError) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert (info.value.code, info.value.description) == (1029, "something else")
    assert info.value.user_message == "regos.rejected"


async def test_http_429_honours_retry_after(single: RegosClient, emu: RegosEmulator,
                                            fake_time: FakeTime) -> None:
    emu.faults.fail_next("Item/GetExt", "http429", retry_after=7)
    with pytest.raises(RegosRateLimited) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.retry_after == 7
    # the cooldown is shared through the limiter: the next request waits it out
    await single.read("Item/GetExt", GET_EXT)
    assert fake_time.sleeps == [7]


@pytest.mark.parametrize(("kind", "status"), [("http500", 500), ("http502", 502)])
async def test_5xx_is_a_transport_error(single: RegosClient, emu: RegosEmulator, kind: str,
                                        status: int) -> None:
    emu.faults.fail_next("Item/GetExt", kind)  # type: ignore[arg-type]
    with pytest.raises(RegosTransportError) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.status == status
    assert info.value.user_message == "regos.unavailable"


async def test_a_body_that_is_not_json_is_a_transport_error(single: RegosClient,
                                                            emu: RegosEmulator) -> None:
    emu.faults.fail_next("Item/GetExt", "bad_json")
    with pytest.raises(RegosTransportError, match="not JSON"):
        await single.read("Item/GetExt", GET_EXT)


async def test_no_answer_in_time_is_a_timeout(single: RegosClient, emu: RegosEmulator) -> None:
    emu.faults.fail_next("Item/GetExt", "timeout")
    with pytest.raises(RegosTimeout) as info:
        await single.read("Item/GetExt", GET_EXT)
    assert info.value.user_message == "regos.unavailable"
    assert info.value.outcome_unknown


async def test_a_closed_port_is_a_transport_error_that_never_left(http: httpx.AsyncClient,
                                                                  fake_time: FakeTime) -> None:
    async with RegosEmulatorServer(RegosEmulator(demo_shop())) as gone:
        pass  # started and stopped: its port is now closed
    client = make_client(http, gone, fake_time, attempts=1)
    with pytest.raises(RegosTransportError) as info:
        await client.write("DocOrderDelivery/AddFull", ORDER)
    assert not info.value.outcome_unknown


async def test_an_unknown_integration_key_is_an_access_error(http: httpx.AsyncClient,
                                                             server: RegosEmulatorServer,
                                                             fake_time: FakeTime) -> None:
    client = make_client(http, server, fake_time, key="0" * 32)
    with pytest.raises(RegosAccessError):
        await client.read("Item/GetExt", GET_EXT)


async def test_an_unknown_method_is_an_api_error(client: RegosClient) -> None:
    with pytest.raises(RegosApiError, match="Unknown method"):
        await client.read("Nothing/Here", {})


@pytest.mark.parametrize("kind", ["http502", "http500", "timeout", "rate_limit", "http429", "bad_json"])
async def test_reads_are_retried_after_a_transient_fault(client: RegosClient, emu: RegosEmulator,
                                                         kind: str) -> None:
    emu.faults.fail_next("Item/GetExt", kind, times=2, retry_after=1)  # type: ignore[arg-type]
    result = await client.read("Item/GetExt", GET_EXT)
    assert len(result) == 2
    assert len(emu.calls_of("Item/GetExt")) == 3


async def test_reads_give_up_after_three_attempts(client: RegosClient, emu: RegosEmulator,
                                                  fake_time: FakeTime) -> None:
    emu.faults.fail_next("Item/GetExt", "http502", times=5)
    with pytest.raises(RegosTransportError):
        await client.read("Item/GetExt", GET_EXT)
    assert len(emu.calls_of("Item/GetExt")) == 3
    assert fake_time.sleeps == pytest.approx([0.0375, 0.075])  # exponential backoff, fixed jitter


@pytest.mark.parametrize("error", [(1008, "x. Details: stock_id"), (9006, "no"), (1029, "?")])
async def test_reads_are_not_retried_after_an_answer(client: RegosClient, emu: RegosEmulator,
                                                     error: tuple[int, str]) -> None:
    emu.faults.fail_next("Item/GetExt", ("error", *error))
    with pytest.raises(RegosError):
        await client.read("Item/GetExt", GET_EXT)
    assert len(emu.calls_of("Item/GetExt")) == 1


async def test_a_write_is_not_retried_after_a_timeout(client: RegosClient, emu: RegosEmulator) -> None:
    emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    with pytest.raises(RegosTimeout):
        await client.write("DocOrderDelivery/AddFull", ORDER)
    assert len(emu.calls_of("DocOrderDelivery/AddFull")) == 1
    assert [o.external_code for o in emu.shop.orders.values()].count("tg-1-abc") == 1


@pytest.mark.parametrize("kind", ["http502", "bad_json"])
async def test_a_write_is_not_retried_when_the_outcome_is_unknown(client: RegosClient,
                                                                  emu: RegosEmulator, kind: str) -> None:
    emu.faults.fail_next("DocOrderDelivery/AddFull", kind)  # type: ignore[arg-type]
    with pytest.raises(RegosTransportError):
        await client.write("DocOrderDelivery/AddFull", ORDER)
    assert len(emu.calls_of("DocOrderDelivery/AddFull")) == 1


@pytest.mark.parametrize("kind", ["rate_limit", "http429"])
async def test_a_write_refused_for_rate_is_sent_again(client: RegosClient, emu: RegosEmulator,
                                                      kind: str) -> None:
    emu.faults.fail_next("DocOrderDelivery/AddFull", kind)  # type: ignore[arg-type]
    result = await client.write("DocOrderDelivery/AddFull", ORDER)
    assert result["new_id"] in emu.shop.orders
    assert len(emu.calls_of("DocOrderDelivery/AddFull")) == 2
    assert len(emu.shop.orders) == 3  # two demo orders + this one, once


async def test_decimals_round_trip_exactly(client: RegosClient, emu: RegosEmulator) -> None:
    result = await client.read("Item/GetExt", {"ids": [13], "stock_id": 1, "price_type_id": 1})
    assert result[0]["price"] == Decimal("8500.50")
    assert str(result[0]["price"]) == "8500.50"
    new = await client.write("DocOrderDelivery/AddFull", ORDER)
    line = emu.shop.orders[new["new_id"]].lines[0]
    assert line.quantity == Decimal("1.5")
    assert str(line.quantity) == "1.5"
    assert emu.shop.orders[new["new_id"]].amount == Decimal("18000.0")


async def test_read_page_reads_next_offset_and_total_from_the_envelope(client: RegosClient) -> None:
    first = await client.read_page("Item/GetExt", {**GET_EXT, "limit": 30})
    assert (len(first.items), first.next_offset, first.total) == (30, 30, 41)
    last = await client.read_page("Item/GetExt", {**GET_EXT, "limit": 30, "offset": 30})
    assert (len(last.items), last.next_offset, last.total) == (11, None, 41)


async def test_the_client_paces_itself_below_the_servers_limit(http: httpx.AsyncClient,
                                                               fake_time: FakeTime) -> None:
    emu = RegosEmulator(demo_shop(),
                        clock=fake_time, burst=5)
    async with RegosEmulatorServer(emu) as srv:
        paced = make_client(http, srv, fake_time, attempts=1)
        paced.limiter = MemoryTokenBucket(
            burst=5, clock=fake_time, sleep=fake_time.sleep)
        for _ in range(12):
            await paced.read("ItemGroup/Get", {})
        assert fake_time.sleeps  # it waited instead of being refused
        flooding = make_client(http, srv, fake_time, attempts=1)
        flooding.limiter = MemoryTokenBucket(
            burst=1000, clock=fake_time, sleep=fake_time.sleep)
        fake_time.now += 60  # the server's bucket is full again: 5 requests
        for _ in range(5):
            await flooding.read("ItemGroup/Get", {})
        with pytest.raises(RegosRateLimited):
            await flooding.read("ItemGroup/Get", {})


async def test_requests_are_well_formed(fake_time: FakeTime) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b'{"ok": true, "result": {"new_id": 7}}')

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = RegosClient(http, integration_key="k3y", connected_integration_id="ci",
                             base_url="https://regos.test/gateway/out/", sleep=fake_time.sleep)
        assert await client.write("DocOrderDelivery/AddFull", {"q": Decimal("12000.50")}) == {"new_id": 7}
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "https://regos.test/gateway/out/k3y/v1/DocOrderDelivery/AddFull"
    assert request.headers["content-type"] == "application/json;charset=utf-8"
    assert request.headers["accept"] == "application/json"
    assert len(request.headers["x-request-id"]) == 32
    assert request.content == b'{"q":12000.50}'
    assert "k3y" not in repr(client)


async def test_the_key_is_never_logged(client: RegosClient, emu: RegosEmulator,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="actions.regos")
    emu.faults.fail_next("Item/GetExt", "http502")
    await client.read("Item/GetExt", GET_EXT)
    text = caplog.text
    assert "Item/GetExt" in text
    assert "502" in text
    assert emu.shop.integrations
    assert all(key not in text for key in emu.shop.integrations)


async def test_a_write_that_never_left_is_sent_again(fake_time: FakeTime) -> None:
    calls: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.content)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, content=b'{"ok": true, "result": {"new_id": 3}}')

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = RegosClient(http, integration_key="k", connected_integration_id="ci",
                             sleep=fake_time.sleep)
        assert await client.write("DocOrderDelivery/AddFull", ORDER) == {"new_id": 3}
    assert len(calls) == 2
    assert calls[0] == calls[1]
