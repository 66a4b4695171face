"""triage: inside-sales lead triage. The domain here imports neither textual nor peewee."""

from __future__ import annotations

import importlib
import os
import sys
import types

_PYDANTIC_LOADER = "pydantic.plugin._loader"


class _NoPydanticPlugins(types.ModuleType):
    """Stands in for pydantic's plugin loader: no plugins, and pydantic's own loader the
    moment anything asks it for more than that."""

    def get_plugins(self) -> tuple[()]:
        return ()

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # the import system asking whether this is a package
            raise AttributeError(name)
        if sys.modules.get(_PYDANTIC_LOADER) is self:
            del sys.modules[_PYDANTIC_LOADER]
        return getattr(importlib.import_module(_PYDANTIC_LOADER), name)


def _skip_pydantic_plugin_discovery() -> None:
    """pydantic looks for plugins in every installed package's metadata when it makes its
    first model: importing `importlib.metadata` and reading the metadata takes 35 ms of
    every start, and triage uses no plugins. Whoever sets `PYDANTIC_DISABLE_PLUGINS` is
    choosing plugins, so pydantic is then left to find them."""
    if "PYDANTIC_DISABLE_PLUGINS" not in os.environ and _PYDANTIC_LOADER not in sys.modules:
        sys.modules[_PYDANTIC_LOADER] = _NoPydanticPlugins(_PYDANTIC_LOADER)


_skip_pydantic_plugin_discovery()
