"""The translations report (``python -m engine check --i18n``): per scenario and locale, the
templates and labels that are missing (falling back to the default locale), extra (not in the
default locale), or whose variables differ from the default locale's."""

from __future__ import annotations

from dataclasses import dataclass

from engine.templates.store import TemplateStore

__all__ = ["Finding", "render_report", "translation_report"]


@dataclass(frozen=True, order=True)
class Finding:
    scenario: str
    locale: str
    kind: str  # missing | extra | variables
    what: str  # template | label
    name: str
    detail: str = ""

    def format(self) -> str:
        head = f"{self.scenario} [{self.locale}] {self.kind} {self.what} '{self.name}'"
        return f"{head}: {self.detail}" if self.detail else head


def translation_report(scenario: str, store: TemplateStore) -> list[Finding]:
    default = store.default_locale
    templates, labels = store.own_names(default)
    found: list[Finding] = []
    for locale in store.locales[1:]:
        own_templates, own_labels = store.own_names(locale)
        for what, base, own in (("template", templates, own_templates),
                                ("label", labels, own_labels)):
            for name in sorted(base - own):
                found.append(Finding(scenario, locale, "missing", what, name,
                                     f"falls back to '{default}'"))
            for name in sorted(own - base):
                found.append(Finding(scenario, locale, "extra", what, name,
                                     f"not in the default locale '{default}'"))
            for name in sorted(base & own):
                label = what == "label"
                theirs = store.own_variables(locale, name, label=label)
                ours = store.own_variables(default, name, label=label)
                if theirs is None or ours is None or theirs == ours:
                    continue
                parts = []
                if lacking := sorted(ours - theirs):
                    parts.append(f"does not use {', '.join(lacking)}")
                if more := sorted(theirs - ours):
                    parts.append(f"uses {', '.join(more)} that '{default}' does not")
                found.append(Finding(scenario, locale, "variables", what, name,
                                     "; ".join(parts)))
    return sorted(found)


def render_report(findings: list[Finding], scenarios: int) -> str:
    lines = [f.format() for f in findings]
    lines.append(f"translations: {scenarios} scenario(s), {len(findings)} finding(s)")
    return "\n".join(lines)
