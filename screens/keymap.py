"""The user's keymap: keys rebound by binding id (`accept`, `balance.assign_pool`, ...).

Read from the `[keymap]` table of `config.toml` in the user config directory
(`~/.config/triage/config.toml` on Linux), then from `TRIAGE_KEYMAP`
(`accept=A;refresh=ctrl+r,f5`) over it. The README lists the ids.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Mapping

ENV_VAR = "TRIAGE_KEYMAP"
FILE_NAME = "config.toml"


def config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("triage", appauthor=False)) / FILE_NAME


def read_keymap(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Binding id -> keys (comma-separated). A file that cannot be read or a value that
    is not text raises ValueError naming where, so a typo is not silently ignored."""
    path = path or config_path()
    keymap: dict[str, str] = {}
    if path.exists():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("keymap", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if not isinstance(table, dict) or not all(isinstance(keys, str) for keys in table.values()):
            raise ValueError(f"{path}: [keymap] maps binding ids to keys, e.g. accept = \"A\"")
        keymap.update(table)
    for item in filter(None, (part.strip() for part in environ.get(ENV_VAR, "").split(";"))):
        binding_id, equals, keys = item.partition("=")
        if not equals or not binding_id.strip() or not keys.strip():
            raise ValueError(f"{ENV_VAR}: {item!r} is not id=keys, e.g. accept=A")
        keymap[binding_id.strip()] = keys.strip()
    return keymap
