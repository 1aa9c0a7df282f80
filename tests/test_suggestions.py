""""Did you mean": the one helper every "unknown name" diagnostic uses (engine.diagnostics)."""

from __future__ import annotations

from engine.diagnostics import did_you_mean, suggestions


def test_a_single_close_name_is_suggested() -> None:
    assert did_you_mean("hoem", ["home", "list", "cart"]) == " (did you mean 'home'?)"


def test_two_names_equally_close_are_both_listed() -> None:
    assert suggestions("drinkx", ["drink", "drinks", "home"]) == ["drink", "drinks"]
    assert did_you_mean("drinkx", ["drinks", "drink"]) == " (did you mean 'drink' or 'drinks'?)"


def test_a_closer_name_wins_over_a_farther_one() -> None:
    assert suggestions("drnks", ["drinks", "drink"]) == ["drinks"]
    assert suggestions("drink_", ["drinks", "dinks"]) == ["drinks"]


def test_three_ties_are_listed_in_order() -> None:
    assert did_you_mean("cat", ["car", "bat", "cap", "dog"]) == \
        " (did you mean 'bat', 'cap' or 'car'?)"


def test_case_only_differences_are_found() -> None:
    assert suggestions("Start", ["start", "stop"]) == ["start"]


def test_nothing_close_means_no_suggestion() -> None:
    assert suggestions("qwerty", ["home", "list"]) == []
    assert did_you_mean("qwerty", ["home", "list"]) == ""


def test_the_word_itself_is_never_suggested() -> None:
    assert did_you_mean("home", ["home"]) == ""


def test_non_string_candidates_are_ignored() -> None:
    assert suggestions("hoem", ["home", 3, None]) == ["home"]  # type: ignore[list-item]
