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
    """Widget and input kinds by their ``type:`` tag, handler trigger kinds by their key;
    :attr:`scenario_model` validates a scenario whose keyboards, inputs and handlers take
    exactly these."""

    widgets: tuple[type[s.WidgetBase], ...]
    inputs: tuple[type[s.InputBase], ...]
    handlers: tuple[type[s.HandlerKind], ...] = ()
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
        keys = [k.key for k in self.handlers]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"handler kinds registered twice: {', '.join(doubled)}")
        taken = sorted(set(keys) & set(s.HandlerSpec.model_fields))
        if taken:
            raise ValueError(f"handler kind keys taken by every handler: {', '.join(taken)}")
        object.__setattr__(self, "scenario_model",
                           _scenario_model(self.widgets, self.inputs, self.handlers))

    @property
    def widget_tags(self) -> tuple[str, ...]:
        return tuple(str(tag_of(m)) for m in self.widgets)

    @property
    def input_tags(self) -> tuple[str, ...]:
        return tuple(str(tag_of(m)) for m in self.inputs)

    @property
    def handler_keys(self) -> tuple[str, ...]:
        return tuple(k.key for k in self.handlers)

    def with_kinds(self, *models: type[s.WidgetBase] | type[s.InputBase] | type[s.HandlerKind],
                   ) -> KindRegistry:
        """A registry with these kinds too (a widget, input or handler kind each)."""
        widgets = [m for m in models if issubclass(m, s.WidgetBase)]
        inputs = [m for m in models if issubclass(m, s.InputBase)]
        handlers = [m for m in models if issubclass(m, s.HandlerKind)]
        return KindRegistry((*self.widgets, *widgets), (*self.inputs, *inputs),
                            (*self.handlers, *handlers))


def _union(models: Iterable[type[BaseModel]]) -> Any:
    return Annotated[Union[tuple(models)], Field(discriminator="type")]  # noqa: UP007


def _handler_model(handlers: tuple[type[s.HandlerKind], ...]) -> type[s.HandlerSpec]:
    """A ``HandlerSpec`` with a field per trigger kind (before the common ones, as written in
    the docs), knowing its kinds."""
    triggers: dict[str, Any] = {k.key: (k.annotation, k.default) for k in handlers}
    common: dict[str, Any] = {name: (info.annotation, info)
                              for name, info in s.HandlerSpec.model_fields.items()}
    model: type[s.HandlerSpec] = create_model(
        "HandlerSpec", __base__=s.HandlerSpec, __module__=s.HandlerSpec.__module__,
        **triggers, **common)
    model.kinds = tuple(k() for k in handlers)
    return model


def _scenario_model(widgets: tuple[type[s.WidgetBase], ...],
                    inputs: tuple[type[s.InputBase], ...],
                    handlers: tuple[type[s.HandlerKind], ...]) -> type[s.Scenario]:
    """Subclasses of the scenario's models whose ``keyboard`` (and containers' ``widgets``)
    and ``input`` are tagged unions of the registered kinds, and whose handlers take the
    registered triggers."""
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
        handlers=(list[_handler_model(handlers)], Field(default_factory=list)),  # type: ignore[misc]
    )
    return scenario
