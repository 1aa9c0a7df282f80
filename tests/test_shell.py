"""``python -m engine shell``: a person chats with the real demo bot through the emulator."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.playground.botapi import ApiCall, UserAccount
from engine.playground.shell import pick_language, run_shell
from engine.playground.shell_render import View, format_text
from engine.playground.shell_session import Output, Shell, own_phone
from engine.scenario.pipeline import ScenarioBundle, load_bundle
from engine.testing import Playground

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = {"SHELL_LANG": "en"}


@pytest.fixture(scope="module")
def bundle() -> ScenarioBundle:
    loaded, diagnostics = load_bundle(ROOT / "scenarios" / "demo.yaml")
    assert loaded is not None, diagnostics
    return loaded


async def run_script(bundle: ScenarioBundle, tmp_path: Path, *lines: str) -> tuple[int, str]:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    code = await run_shell(bundle, ENGLISH, script=str(script), stdout=out)
    return code, out.getvalue()


async def test_start_press_a_button_survive_mistakes_and_quit(
    bundle: ScenarioBundle, tmp_path: Path
) -> None:
    code, out = await run_script(
        bundle, tmp_path,
        "/start", "1", "9", ":file /no/such/file.pdf", ":nonsense", ":quit", "/start",
    )
    assert code == 0
    banner, _, chat = out.partition("> /start")
    assert "Demo café" in banner
    assert "Alice" in banner
    assert ":help" in banner
    assert "Hello, Alice! What would you like?" in chat
    assert "[1] ☕ Drinks" in chat
    assert "[2] ✍️ Feedback" in chat
    after_press = chat.split("> 1\n", 1)[1]
    assert "(pressed ☕ Drinks on #2)" in after_press
    assert "(edited) Drinks" in after_press
    assert "Pick a drink (6 on the menu):" in after_press
    assert "[1] Espresso — 12,000" in after_press
    assert "error: no button 9: message #2 has buttons 1-7" in out
    assert "error: can't read /no/such/file.pdf" in out
    assert "error: unknown command :nonsense" in out
    assert out.count("> /start") == 1  # nothing is read after :quit
    assert "\x1b[" not in out  # not a terminal: no colours


async def test_feedback_refuses_a_forged_contact_and_takes_the_own_one(
    bundle: ScenarioBundle,
) -> None:
    stdin = io.StringIO("\n".join([
        ":user Bob", ":user Alice", "/start", "2", "Great coffee!",
        ":contact-of Bob 998901112233", "k1", ":quit",
    ]) + "\n")
    out = io.StringIO()
    assert await run_shell(bundle, ENGLISH, stdin=stdin, stdout=out) == 0
    text = out.getvalue()
    assert not any(line.startswith(">") for line in text.splitlines())  # piped: no prompts
    assert "(keyboard) <1> 📱 Share my number [contact]  <2> Skip" in text
    refused = text.index("Please share your own number with the button below.")
    shared = text.index("(pressed 📱 Share my number: sharing your contact +998900000001)")
    thanks = text.index("Thanks for your feedback! We will call you at +998 90 000 00 01.")
    assert refused < shared < thanks
    assert "!!" not in text


async def test_switching_users_and_chats(bundle: ScenarioBundle, tmp_path: Path) -> None:
    code, out = await run_script(
        bundle, tmp_path,
        ":user Bob uz", ":user Alice", ":group Team", "/start", ":user Bob", ":group Team",
        ":join Team", ":users", ":chats", ":join Team", ":join Nowhere", ":private", "/start",
        ":help", "",
    )
    assert code == 0  # the end of the script ends the shell
    assert "(new user Bob, id 100000002, language uz)" in out
    assert "(new group 'Team', id -1004000000001: Alice and the bot)" in out
    assert "(now: Alice in the group 'Team')" in out
    assert "(no answer)" in out  # the demo bot only talks in private chats
    # switching user or chat never makes anyone a member: joining is explicit
    assert "(Bob is not a member of 'Team'; now: Bob in the private chat with the bot)" in out
    assert "error: Bob is not a member of 'Team' (:join Team joins it)" in out
    assert out.index("error: Bob is not a member") < out.index("(Bob joined 'Team')")
    assert "(now: Bob in the group 'Team')" in out
    assert "  Alice  id 100000001  language en\n* Bob  id 100000002  language uz" in out
    assert "* Team  (3 members, id -1004000000001, 0 bot messages)" in out
    assert "(Bob is already a member of 'Team')" in out
    assert "error: no group 'Nowhere' (:group Nowhere creates it)" in out
    assert "(now: Bob in the private chat with the bot)" in out
    assert "Assalomu alaykum, Bob!" in out
    assert ":contact-of USER PHONE" in out
    assert "#N.M" in out  # :help
    assert ":join TITLE" in out


async def test_other_chats_edits_media_toasts_and_rejections_are_shown(
    bundle: ScenarioBundle, tmp_path: Path,
) -> None:
    out = io.StringIO()
    async with Playground.open(bundle) as play:
        shell = Shell(play, bundle, Output(out, View(ansi=False)), "en", files=tmp_path)
        await shell.report()
        emu, bot = play.emulator, play.bot.user
        await shell.handle(":group Team")
        await shell.handle(":private")
        group = shell.groups["team"]
        emu.new_message(group, bot, text="New ticket", reply_markup={
            "inline_keyboard": [[{"text": "Take", "callback_data": "t"},
                                 {"text": "Site", "url": "https://example.com"}]]})
        own = emu.new_message(shell.chat, bot, caption="Menu", photo=emu.files.add(
            "photo", None, url="http://127.0.0.1:9/latte.jpg"))
        emu.new_message(shell.chat, bot, document=emu.files.add("document", b"x" * 2048,
                                                                file_name="menu.pdf"))
        emu.new_message(shell.chat, bot, text="Your phone?", reply_markup={
            "keyboard": [[{"text": "Share", "request_contact": True}],
                         [{"text": "Here", "request_location": True}]]})
        emu.record_call(ApiCall("answerCallbackQuery", {"text": "Saved"}, True))
        emu.record_call(ApiCall("sendMessage", {}, False, "Bad Request: message is too long"))
        await shell.report()
        own.caption = "Menu (new)"
        own.edit_date = 1
        await shell.report()
        await shell.handle("3")
        await shell.handle("k3")
    text = out.getvalue()
    assert "-> [Team] #1 New ticket\n" in text
    assert "[1] Take  [2] Site (https://example.com)" in text
    assert "#1 [photo: http://127.0.0.1:9/latte.jpg (not saved: " in text
    assert "]\n   Menu\n" in text
    assert f"#2 [document: {tmp_path / '1-menu.pdf'}, 2.0 KB]" in text
    assert (tmp_path / "1-menu.pdf").read_bytes() == b"x" * 2048
    assert "(keyboard) <1> Share [contact]  <2> Here [location]" in text
    assert "(toast) Saved" in text
    assert "!! bot called sendMessage: Bad Request: message is too long" in text
    assert "#1 (edited) [photo: http://127.0.0.1:9/latte.jpg (not saved: " in text
    assert "Menu (new)" in text
    assert "error: no message with inline buttons in this chat" in text
    assert "error: no keyboard button 3: the keyboard has 1-2" in text


def test_text_formatting_and_helpers() -> None:
    entities = [{"type": "bold", "offset": 0, "length": 2},
                {"type": "text_link", "offset": 3, "length": 4, "url": "https://x.io"}]
    assert format_text("☕☕ link!", entities, ansi=False) == "☕☕ link (https://x.io)!"
    assert format_text("😀ab c", [{"type": "bold", "offset": 0, "length": 3}], ansi=True) \
        == "\x1b[1m😀a\x1b[22mb c"
    locales = ["ru", "uz", "en"]
    assert pick_language({"SHELL_LANG": "uz", "LANG": "en_US.UTF-8"}, locales, "ru") == "uz"
    assert pick_language({"LANG": "en_US.UTF-8"}, locales, "ru") == "en"
    assert pick_language({"LANG": "de_DE.UTF-8"}, locales, "ru") == "ru"
    assert own_phone(UserAccount(100000042, "Test")) == "998900000042"


async def test_a_missing_script_is_an_error(bundle: ScenarioBundle, tmp_path: Path) -> None:
    out = io.StringIO()
    assert await run_shell(bundle, {}, script=str(tmp_path / "nope.txt"), stdout=out) == 2
    assert "error: can't read the script" in out.getvalue()


async def test_photos_the_bot_sends_are_saved_where_the_line_says(tmp_path: Path) -> None:
    """The orders bot's loyalty-card QR (uploaded bytes) and an item's picture (a URL of the
    REGOS emulator) can be opened from the terminal: both are saved and the line names the file."""
    loaded, diagnostics = load_bundle(ROOT / "scenarios" / "orders.yaml")
    assert loaded is not None, diagnostics
    script = tmp_path / "script.txt"
    script.write_text("\n".join([
        "/start", "4", "1", ":contact 998901234567", "1",  # cards: the QR of the demo card
        "/start", "1", "1", "1",  # catalog, all items, the first item's card with its picture
        ":quit",
    ]) + "\n", encoding="utf-8")
    files = tmp_path / "saved"
    out = io.StringIO()
    env = {"SHELL_LANG": "en"}
    assert await run_shell(loaded, env, script=str(script), stdout=out, files=str(files)) == 0
    text = out.getvalue()
    assert f"Photos and documents the bot sends are saved in {files}" in text
    photos = list(dict.fromkeys(re.findall(r"\[photo: ([^\]]+)\]", text)))  # edits repeat them
    assert len(photos) == 2, text
    qr, item = (Path(p) for p in photos)
    assert qr != item
    for photo in (qr, item):
        assert photo.parent == files
        assert photo.suffix == ".png"
        assert photo.read_bytes().startswith(b"\x89PNG")
    assert "Card 2000000012345" in text


async def test_files_of_a_session_go_to_a_fresh_temporary_folder_by_default(
        bundle: ScenarioBundle) -> None:
    out = io.StringIO()
    async with Playground.open(bundle) as play:
        shell = Shell(play, bundle, Output(out, View(ansi=False)), "en")
        shell.banner()
        emu, bot = play.emulator, play.bot.user
        emu.new_message(shell.chat, bot, document=emu.files.add(
            "document", b"%PDF-1.4 menu", file_name="../../etc/menu.pdf"))
        emu.new_message(shell.chat, bot, photo=emu.files.add(
            "photo", None, url="http://127.0.0.1:9/nothing-listens-here.jpg"))
        await shell.report()
    text = out.getvalue()
    folder = Path(re.findall(r"saved in (\S+)", text)[0])
    assert folder.name.startswith("tgflow-shell-")
    saved = folder / "1-menu.pdf"  # a bare name: nothing is written outside the folder
    assert f"[document: {saved}, 13 B]" in text
    assert saved.read_bytes() == b"%PDF-1.4 menu"
    assert "[photo: http://127.0.0.1:9/nothing-listens-here.jpg (not saved: " in text
    shutil.rmtree(folder)


def test_the_command_line_shell_with_piped_input(tmp_path: Path) -> None:
    env = {**os.environ, "SHELL_LANG": "en"}
    env.pop("REDIS_URL", None)
    files = tmp_path / "bot files"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "shell", "scenarios/demo.yaml", "--files", str(files)],
        input="/start\n1\n:quit\n", capture_output=True, text=True, timeout=60, cwd=ROOT,
        env=env, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Hello, Alice!" in done.stdout
    assert "Pick a drink (6 on the menu):" in done.stdout
    assert f"Photos and documents the bot sends are saved in {files}\n" in done.stdout
    assert files.is_dir()
