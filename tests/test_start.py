"""What every start of triage imports: only what the first screen needs (fresh interpreters)."""

import os
import subprocess
import sys


def fresh_python(code: str, **env: str) -> str:
    """`code` run by a new interpreter (nothing imported before it), its output."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**{k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}, **env})
    return done.stdout.strip()


START = ("import sys, triage.cli.main, screens.app, storage.db; "
         "from triage.domain.models import LeadData; "
         "lead = LeadData(first_name=' Eva ', email='eva@firma.de'); ")


def test_a_start_looks_for_no_pydantic_plugins_and_its_models_still_validate():
    out = fresh_python(START + "print(lead.first_name, 'importlib.metadata' in sys.modules)")
    assert out == "Eva False"


def test_a_start_leaves_out_what_only_a_rescore_or_a_report_needs():
    out = fresh_python(START + "print(sorted({'statistics', 'concurrent.futures.process'} & set(sys.modules)))")
    assert out == "[]"


def test_pydantic_finds_its_plugins_when_they_are_configured():
    out = fresh_python(START + "import pydantic.plugin._loader as loader; print(type(loader).__name__, "
                       "'importlib.metadata' in sys.modules)", PYDANTIC_DISABLE_PLUGINS="some_plugin")
    assert out == "module True"


def test_anything_else_asked_of_pydantic_s_plugin_loader_is_its_own():
    out = fresh_python(START + "from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP, get_plugins; "
                       "print(PYDANTIC_ENTRY_POINT_GROUP, type(sys.modules['pydantic.plugin._loader']).__name__)")
    assert out == "pydantic module"
