"""The whole desk workflow on each database, through aiogram's real HTTP session (long polling the
emulator over loopback): the same bot on SQLite and on PostgreSQL."""

from __future__ import annotations

from .desk_kit import PDF, VIN, open_desk


async def test_the_full_workflow_on_each_database_over_http(database_url: str) -> None:
    async with open_desk(database_url, transport="http") as desk:
        await desk.alice.send("/start")
        await desk.alice.send(VIN)
        assert "Заявка №1 принята" in desk.alice.last.content
        card = desk.card_of(1)
        await desk.eve.click_data(card.message_id, "take:1")
        assert "только менеджеры" in desk.toast()
        await desk.bob.click_data(card.message_id, "take:1")
        await desk.bob.send_document(PDF, "report.pdf", "application/pdf", caption="/done 1")
        assert desk.alice.last.document is not None
        assert "Отчёт отправлен клиенту: Bob" in desk.card_of(1).content
        await desk.bob.send("/stats")
        assert "Bob: взял 1, закрыл 1" in desk.bob.texts()[-1]
        assert desk.play.rejected_calls() == []
