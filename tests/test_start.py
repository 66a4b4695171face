"""What every start of triage imports: only what the first screen needs (fresh interpreters)."""

from interpreters import fresh_python

#: A start as a rep's own shell has it: no pydantic plugins configured.
NO_PLUGINS_SET: dict[str, str | None] = {"PYDANTIC_DISABLE_PLUGINS": None}

START = ("import sys, triage.cli.main, screens.app, storage.db; "
         "from triage.domain.models import LeadData; "
         "lead = LeadData(first_name=' Eva ', email='eva@firma.de'); ")


def test_a_start_looks_for_no_pydantic_plugins_and_its_models_still_validate():
    out = fresh_python(START + "print(lead.first_name, 'importlib.metadata' in sys.modules)",
                       env=NO_PLUGINS_SET)
    assert out == "Eva False"


def test_a_start_leaves_out_what_only_a_rescore_or_a_report_needs():
    out = fresh_python(START + "print(sorted({'statistics', 'concurrent.futures.process'} & set(sys.modules)))",
                       env=NO_PLUGINS_SET)
    assert out == "[]"


def test_pydantic_finds_its_plugins_when_they_are_configured():
    out = fresh_python(START + "import pydantic.plugin._loader as loader; print(type(loader).__name__, "
                       "'importlib.metadata' in sys.modules)", env={"PYDANTIC_DISABLE_PLUGINS": "some_plugin"})
    assert out == "module True"


def test_anything_else_asked_of_pydantic_s_plugin_loader_is_its_own():
    out = fresh_python(START + "from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP, get_plugins; "
                       "print(PYDANTIC_ENTRY_POINT_GROUP, type(sys.modules['pydantic.plugin._loader']).__name__)",
                       env=NO_PLUGINS_SET)
    assert out == "pydantic module"


def test_the_holiday_cache_is_named_after_the_package_s_version_without_importlib_metadata(tmp_path):
    """The SLA column of the first screen needs the holidays; the name of their cache file
    comes from the package's dist-info folder, not from importlib.metadata (10-20 ms)."""
    from importlib.metadata import version

    out = fresh_python("import sys; from pathlib import Path; "
                       "from triage.domain.public_holidays import PublicHolidays; "
                       "print(PublicHolidays('DE', 'BY', Path(sys.argv[1])).path.name, "
                       "'importlib.metadata' in sys.modules)", str(tmp_path))
    assert out == f"holidays-DE-BY-{version('holidays')}.json False"
