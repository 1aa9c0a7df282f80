"""The compile stage: a linked scenario -> a :class:`~engine.compile.bot.CompiledBot` value.

Layers: load -> schema -> link (``engine/scenario/``) -> compile (here) -> runtime
(``engine/runtime/``). Nothing in ``engine/scenario/`` imports this package; the runtime only
consumes what :func:`~engine.compile.bot.compile_bot` returns. This module imports nothing, so
``engine.compile.values`` can be read by the executors the compiled widgets call.
"""

__all__: list[str] = []
