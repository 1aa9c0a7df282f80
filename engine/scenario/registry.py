"""The registry of node kinds: which widget and input kinds a scenario may use.

A :class:`KindRegistry` is a plain value listing kind models (:mod:`engine.scenario.kinds`);
the schema stage validates a scenario with the model it builds
(:attr:`KindRegistry.scenario_model`). Nothing here is global: pass the registry in
(``load_bundle(path, kinds=...)``; the built-in kinds: ``engine.kinds.builtin_kinds()``).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, Field, create_model

from engine.scenario import schema as s

__all__ = ["KindRegistry", "tag_of"]


def tag_of(model: type[BaseModel]) -> str | None:
    """The ``type:`` a kind's model is written with (its ``Literal`` tag)."""
    annotation = model.model_fields["type"].annotation if "type" in model.model_fields else None
    args = get_args(annotation)
    return str(args[0]) if args else None


@dataclass(frozen=True)
class KindRegistry:
    """Widget and input kinds by their ``type:`` tag; :attr:`scenario_model` validates a
    scenario whose keyboards and inputs take exactly these."""

    widgets: tuple[type[s.WidgetBase], ...]
    inputs: tuple[type[s.InputBase], ...]
    scenario_model: type[s.Scenario] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for family, models in (("widget", self.widgets), ("input", self.inputs)):
            tags = [tag_of(m) for m in models]
            if None in tags:
                bad = models[tags.index(None)].__name__
                raise ValueError(f"{family} kind {bad} needs a field type: Literal['<tag>']")
            doubled = sorted({t for t in tags if tags.count(t) > 1 and t})
            if doubled:
                raise ValueError(f"{family} kinds registered twice: {', '.join(doubled)}")
        object.__setattr__(self, "scenario_model", _scenario_model(self.widgets, self.inputs))

    @property
    def widget_tags(self) -> tuple[str, ...]:
        return tuple(str(tag_of(m)) for m in self.widgets)

    @property
    def input_tags(self) -> tuple[str, ...]:
        return tuple(str(tag_of(m)) for m in self.inputs)

    def with_kinds(self, *models: type[s.WidgetBase] | type[s.InputBase]) -> KindRegistry:
        """A registry with these kinds too (a widget kind or an input kind each)."""
        widgets = [m for m in models if issubclass(m, s.WidgetBase)]
        inputs = [m for m in models if issubclass(m, s.InputBase)]
        return KindRegistry((*self.widgets, *widgets), (*self.inputs, *inputs))


def _union(models: Iterable[type[BaseModel]]) -> Any:
    return Annotated[Union[tuple(models)], Field(discriminator="type")]  # noqa: UP007


def _scenario_model(widgets: tuple[type[s.WidgetBase], ...],
                    inputs: tuple[type[s.InputBase], ...]) -> type[s.Scenario]:
    """Subclasses of the scenario's models whose ``keyboard`` (and containers' ``widgets``)
    and ``input`` are tagged unions of the registered kinds."""
    concrete: list[type[s.WidgetBase]] = []
    containers: list[type[s.WidgetBase]] = []
    for model in widgets:
        if "widgets" in model.model_fields:  # a container: its children take the same kinds
            model = create_model(model.__name__, __base__=model, __module__=model.__module__,
                                 widgets=(list["_Widget"], ...))  # type: ignore[name-defined]  # noqa: F821
            containers.append(model)
        concrete.append(model)
    widget: Any = _union(concrete) if concrete else s.WidgetBase
    for model in containers:
        model.model_rebuild(_types_namespace={"_Widget": widget})
    field_input: Any = (_union(inputs) if len(inputs) > 1 else inputs[0]) if inputs \
        else s.InputBase
    window: Any = create_model(
        "WindowSpec", __base__=s.WindowSpec, __module__=s.WindowSpec.__module__,
        keyboard=(list[widget], Field(default_factory=list)),
        input=(typing.Optional[field_input], None),  # noqa: UP045
    )
    dialog: Any = create_model("DialogSpec", __base__=s.DialogSpec,
                               __module__=s.DialogSpec.__module__,
                               windows=(dict[str, window], ...))
    scenario: type[s.Scenario] = create_model(
        "Scenario", __base__=s.Scenario, __module__=s.Scenario.__module__,
        dialogs=(dict[str, dialog], ...),
    )
    return scenario
