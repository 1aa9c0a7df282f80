"""The built-in node kinds, one module each (see "How to add a node kind" in the README).

:func:`builtin_kinds` is the one list of them; pass it (or a registry extended with
:meth:`~engine.scenario.kinds.KindRegistry.with_kinds`) to ``load_bundle``.
"""

from __future__ import annotations

from engine.kinds.button import ButtonWidget
from engine.kinds.contact_input import ContactInput
from engine.kinds.containers import ColumnWidget, GroupWidget, RowWidget
from engine.kinds.counter import CounterWidget
from engine.kinds.document_input import DocumentInput
from engine.kinds.handlers import BUILTIN_HANDLERS
from engine.kinds.location_input import LocationInput
from engine.kinds.number_input import NumberInput
from engine.kinds.pager import PagerWidget
from engine.kinds.select import SelectWidget
from engine.kinds.share_buttons import ContactButton, LocationButton
from engine.kinds.text_input import TextInput
from engine.kinds.url import UrlWidget
from engine.scenario.registry import KindRegistry

__all__ = ["BUILTIN_HANDLERS", "BUILTIN_INPUTS", "BUILTIN_WIDGETS", "builtin_kinds"]

BUILTIN_WIDGETS = (ButtonWidget, UrlWidget, ContactButton, LocationButton, SelectWidget,
                   PagerWidget, CounterWidget, RowWidget, ColumnWidget, GroupWidget)
BUILTIN_INPUTS = (TextInput, NumberInput, ContactInput, LocationInput, DocumentInput)


def builtin_kinds() -> KindRegistry:
    """A registry of the built-in widget, input and handler trigger kinds."""
    return KindRegistry(BUILTIN_WIDGETS, BUILTIN_INPUTS, BUILTIN_HANDLERS)

