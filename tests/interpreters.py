"""Code run by a new Python interpreter, for what a start imports or needs."""

import os
import subprocess
import sys


def fresh_python(code: str, *args: str, env: dict[str, str | None] | None = None) -> str:
    """`code` run by a new interpreter (nothing imported before it), its output. `env`: the
    variables to set in its environment, None to leave one out."""
    environ = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          env=environ)
    return done.stdout.strip()
