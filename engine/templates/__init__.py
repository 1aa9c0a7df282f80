"""The engine's one Jinja environment: message templates, labels, filters and expressions.

One concept per module:

* :mod:`~engine.templates.filters`: ``money``, ``phone``, ``datetime`` (in a time zone) and
  ``plural``, as Python functions and as Jinja filters;
* :mod:`~engine.templates.environment`: the sandboxed environment, its errors, the render context;
* :mod:`~engine.templates.analysis`: what a template reads, defines and includes; syntax errors
  as ``file:line:col`` diagnostics;
* :mod:`~engine.templates.labels`: ``labels.yaml``, read by the scenario loader;
* :mod:`~engine.templates.expressions`: ``when:`` expressions and inline strings from YAML;
* :mod:`~engine.templates.units` and :mod:`~engine.templates.store`: the compiled templates and
  labels of one scenario, and the :class:`TemplateStore` that renders them.

Escaping rules (one sandboxed environment, ``StrictUndefined``, autoescape on):

* message templates render to Telegram HTML: values from ``data`` are escaped (``< > & " '``),
  the template's own text is taken as written, so it may contain ``<b>`` and friends;
* a label renders either as **plain text** (``render_label(..., escape=False)``, the default:
  for button texts, toasts and alerts, which Telegram shows verbatim) or as **HTML**
  (``escape=True``: for a label put into an HTML message). In both modes the label's own text is
  taken as written; only interpolated values differ (raw vs escaped). The HTML form is returned
  as :class:`markupsafe.Markup`, so passing it to a message template does not escape it twice;
* ``when:`` expressions and inline strings from scenario YAML
  (:meth:`TemplateStore.compile_expression`, :meth:`TemplateStore.compile_inline`) produce
  plain values: they are data, not HTML.

Rendering sets two context variables, ``_locale`` (the effective locale) and ``_timezone``
(the ``timezone=`` argument, else ``data["_timezone"]``, else the store's default, which is the
scenario's ``TIMEZONE`` or :data:`~engine.settings.DEFAULT_TIMEZONE`); the ``money``, ``plural``
and ``datetime`` filters read them.
"""

from __future__ import annotations

from engine.settings import DEFAULT_TIMEZONE
from engine.templates.environment import (
    RESERVED_VARIABLES,
    ExpressionSyntaxError,
    TemplateRenderError,
    create_environment,
)
from engine.templates.expressions import CompiledExpression, InlineTemplate
from engine.templates.filters import (
    DEFAULT_DATETIME_FORMAT,
    format_datetime,
    format_money,
    format_phone,
    plural_form,
)
from engine.templates.labels import LABEL_FILE
from engine.templates.store import TemplateStore

__all__ = [
    "DEFAULT_DATETIME_FORMAT",
    "DEFAULT_TIMEZONE",
    "LABEL_FILE",
    "RESERVED_VARIABLES",
    "CompiledExpression",
    "ExpressionSyntaxError",
    "InlineTemplate",
    "TemplateRenderError",
    "TemplateStore",
    "create_environment",
    "format_datetime",
    "format_money",
    "format_phone",
    "plural_form",
]
