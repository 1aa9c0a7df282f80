"""A compile cache carried from one load of a template folder to the next (the playground's live
reload): unchanged sources are not compiled again, changed ones are, and what renders is the
same as a load without a cache."""

from __future__ import annotations

from pathlib import Path

from engine.templates import TemplateStore
from engine.templates.cache import CompileCache


def write(folder: Path, greeting: str, label: str) -> None:
    (folder / "shop" / "en").mkdir(parents=True, exist_ok=True)
    (folder / "shop" / "en" / "home.html").write_text(f"<b>{greeting}</b>, {{{{ name }}}}!\n",
                                                      encoding="utf-8")
    (folder / "shop" / "en" / "labels.yaml").write_text(f'buy: "{label} {{{{ n }}}}"\n',
                                                        encoding="utf-8")


def load(folder: Path, cache: CompileCache | None) -> TemplateStore:
    store, problems = TemplateStore.load(folder, "shop", ["en"], "en", cache=cache)
    assert [p for p in problems if p.severity.value == "error"] == []
    return store


def test_a_second_load_of_unchanged_sources_compiles_nothing_and_renders_the_same(
        tmp_path: Path) -> None:
    write(tmp_path, "Hello", "Buy")
    cache = CompileCache()
    first = load(tmp_path, cache)
    compiled = cache.misses
    second = load(tmp_path, cache)
    assert cache.misses == compiled
    assert cache.hits == compiled
    assert second.render("home", "en", {"name": "<Ann>"}) == \
        first.render("home", "en", {"name": "<Ann>"}) == "<b>Hello</b>, &lt;Ann&gt;!"
    assert second.render_label("buy", "en", {"n": 2}) == "Buy 2"


def test_an_edited_source_compiles_again_and_its_new_text_renders(tmp_path: Path) -> None:
    write(tmp_path, "Hello", "Buy")
    cache = CompileCache()
    load(tmp_path, cache)
    write(tmp_path, "Hi", "Buy")
    store = load(tmp_path, cache)
    assert (cache.misses, cache.hits) == (2 + 1, 1)  # the message again, the label from before
    assert store.render("home", "en", {"name": "Ann"}) == "<b>Hi</b>, Ann!"
    assert store.render_label("buy", "en", {"n": 1}) == "Buy 1"
    assert load(tmp_path, None).render("home", "en", {"name": "Ann"}) == "<b>Hi</b>, Ann!"


def test_the_cache_keeps_at_most_its_limit_dropping_the_oldest(tmp_path: Path) -> None:
    cache = CompileCache(limit=1)
    write(tmp_path, "Hello", "Buy")
    load(tmp_path, cache)
    assert len(cache.entries) == 1
    assert next(iter(cache.entries))[0] == "label"  # loaded after the message
