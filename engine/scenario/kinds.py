"""The registry of node kinds: which widget and input kinds a scenario may use.

A kind is a model of its own module (the built-in ones: ``engine/kinds/``) based on
:class:`~engine.scenario.schema.WidgetBase` or :class:`~engine.scenario.schema.InputBase`: its
fields, its link checks, its graph edges, its builder and its widget-data keys. A
:class:`KindRegistry` is a plain value listing kinds; the schema stage validates a scenario with
the model it builds (:attr:`KindRegistry.scenario_model`), and from then on the linker, the graph
and the compiler ask each validated widget itself. Nothing here is global: pass the registry in.

The protocols :class:`Linking` and :class:`Building` are what a kind's ``link`` and ``build``
hooks may use of the linker and of the compiler.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Protocol, Union, get_args

from pydantic import BaseModel, Field, create_model

from engine.scenario import schema as s

if TYPE_CHECKING:
    from aiogram_dialog.widgets.kbd import Keyboard

    from engine.scenario.expressions import Evaluator

__all__ = ["Building", "KindRegistry", "Linking", "tag_of"]


class Linking(Protocol):
    """What the linker offers a kind's ``link`` hook (:class:`engine.scenario.linker._Linker`)."""

    def err(self, path: s.YamlPath, code: str, message: str, hint: str | None = None,
            *, key: bool = False) -> None: ...

    def need_id(self, ident: str | None, path: s.YamlPath, what: str) -> None: ...

    def need_label(self, key: str, path: s.YamlPath) -> None: ...

    def need_pager_labels(self, path: s.YamlPath) -> None: ...

    def check_label(self, key: str, scope: set[str], path: s.YamlPath) -> None: ...

    def check_target(self, target: str, dialog: str | None, path: s.YamlPath) -> None: ...

    def check_expr(self, source: str, available: set[str], path: s.YamlPath,
                   what: str) -> None: ...

    def check_expr_or_template(self, value: str, available: set[str], path: s.YamlPath,
                               what: str) -> None: ...


class Building(Protocol):
    """What the compiler offers a kind's ``build`` hook
    (:class:`engine.compile.dialogs.DialogCompiler`; this stage names none of its types)."""

    def route(self, route: s.Route, dialog: str | None, where: str = "") -> Any:
        """The compiled route (``engine.compile.values.CompiledRoute``)."""

    def call(self, call: s.ActionCall, dialog: str | None) -> Any:
        """The compiled call (``engine.compile.values.CompiledCall``)."""

    def when(self, source: str | None) -> Any: ...

    def expression(self, source: str) -> Evaluator: ...

    def value(self, source: str) -> Evaluator: ...

    def widget(self, widget: s.WidgetBase, dialog: str) -> Keyboard: ...


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
