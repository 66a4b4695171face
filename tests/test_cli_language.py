"""The command line in German and Dutch: its lines, errors, help, dates and counts in the
language asked for (`--lang`, `$TRIAGE_LANG`, the locale), its JSON the same in every one."""

import io
import json
import os
import re
import subprocess
import sys
import time

import pytest

from logins import main_as
from storage import LeadRepository, open_database
from triage.domain import language
from triage.domain.models import Role, TeamMember

#: A weekday, day, month and time as each language writes a moment ("Mi 2. Dez. 15:00").
MOMENT = {"en": r"\d{4}-\d\d-\d\d \d\d:\d\d", "de": r"(Mo|Di|Mi|Do|Fr|Sa|So) \d{1,2}\. \w+\.? \d\d:\d\d",
          "nl": r"(ma|di|wo|do|vr|za|zo) \d{1,2} [a-z]+ \d\d:\d\d"}


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch):
    """Each test in its own language; the tests after it in English again, in Berlin time."""
    for name in ("TRIAGE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    language.use("en")
    monkeypatch.delenv("TZ")
    time.tzset()


@pytest.fixture
def db(tmp_path):
    url = "sqlite:///" + str(tmp_path / "languages.db")
    assert run(url, "seed", "--leads", "1001", "--reps", "2", "--seed", "4")[0] == 0
    LeadRepository(open_database(url)).add_team_member(TeamMember(login="bob", name="Bob", role=Role.REP))
    return url


def run(db, *args, login="anna"):
    out = io.StringIO()
    code = main_as(login, ["--db", db, *args], out=out)
    return code, out.getvalue()


@pytest.mark.parametrize("code, accepted, returned, undone", [
    ("de", "#5 {name} angenommen: MQL → SAL", "#5 {name} (not_ready): SAL → an Marketing zurückgegeben (SRL)",
     "Rückgabe an Marketing von #5 {name} rückgängig gemacht: wieder SAL, bei anna"),
    ("nl", "#5 {name} geaccepteerd: MQL → SAL", "#5 {name} (not_ready): SAL → teruggegeven aan marketing (SRL)",
     "teruggave aan marketing van #5 {name} ongedaan gemaakt: terug naar SAL, bij anna"),
])
def test_a_reps_decisions_are_told_in_the_language(db, code, accepted, returned, undone):
    name = LeadRepository(open_database(db)).get(5).name
    assert run(db, "--lang", code, "accept", "5") == (0, accepted.format(name=name) + "\n")
    done, out = run(db, "return", "5", "--reason", "not_ready", "--path", "nurture", "--lang", code)
    assert (done, out) == (0, returned.format(name=name) + "\n")
    assert run(db, "--lang", code, "undo") == (0, undone.format(name=name) + "\n")


@pytest.mark.parametrize("code, said", [
    ("de", "triage: Fehler: folgende Argumente fehlen: --reason; siehe 'triage return --help'\n"),
    ("nl", "triage: fout: de volgende argumenten zijn verplicht: --reason; zie 'triage return --help'\n"),
])
def test_a_usage_error_is_in_the_language_and_exits_2(db, capsys, code, said):
    with pytest.raises(SystemExit) as stopped:
        run(db, "--lang", code, "return", "5", "--path", "nurture")
    assert stopped.value.code == 2
    assert capsys.readouterr().err == said


@pytest.mark.parametrize("code, said", [
    ("de", "triage: Fehler: Argument --stage: Phase 'later' unbekannt; möglich sind new, mql,"),
    ("nl", "triage: fout: argument --stage: onbekende fase 'later'; kies uit new, mql,"),
])
def test_a_wrong_value_is_refused_in_the_language(db, capsys, code, said):
    with pytest.raises(SystemExit):
        run(db, "--lang", code, "list", "--stage", "later")
    assert capsys.readouterr().err.startswith(said)


def test_a_refusal_of_the_domain_comes_out_in_the_language_too(db, capsys):
    assert run(db, "--lang", "de", "team", "set", "nobody", "--name", "X")[0] == 1
    err = capsys.readouterr().err
    assert err.startswith("triage: Fehler: ") and "is not on the team" not in err


@pytest.mark.parametrize("code, usage, options, description, command", [
    ("de", "Aufruf: triage", "Optionen:", "Lead-Triage für den Inside Sales",
     "einen Lead mit Grund an Marketing zurückgeben"),
    ("nl", "gebruik: triage", "opties:", "Leadtriage voor inside sales", "een lead met een reden teruggeven aan marketing"),
])
def test_help_is_in_the_language(capsys, code, usage, options, description, command):
    with pytest.raises(SystemExit) as stopped:
        main_as("anna", ["--lang", code, "--help"])
    assert stopped.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert shown.startswith(usage) and options in shown and description in shown and command in shown
    assert "show this help message" not in shown and "the language to speak" not in shown


def test_english_help_is_as_it_was(capsys):
    with pytest.raises(SystemExit):
        main_as("anna", ["--help"])
    shown = capsys.readouterr().out
    assert shown.startswith("usage: triage") and "\noptions:\n" in shown and "show this help message and exit" in shown


@pytest.mark.parametrize("code, seeded, moment", [
    ("en", "seeded 1,001 leads and 2 reps", MOMENT["en"]),
    ("de", "1.001 Leads und 2 ", MOMENT["de"]),
    ("nl", "1.001 leads en 2 ", MOMENT["nl"]),
])
def test_counts_and_moments_are_written_as_the_language_writes_them(tmp_path, code, seeded, moment):
    url = "sqlite:///" + str(tmp_path / f"{code}.db")
    done, out = run(url, "--lang", code, "seed", "--leads", "1001", "--reps", "2")
    assert done == 0 and seeded in out
    assert run(url, "accept", "7")[0] == 0
    history = run(url, "--lang", code, "show", "7")[1].splitlines()[-1]
    assert re.fullmatch(rf"  {moment}  anna  accept  MQL → SAL", history), history


@pytest.mark.parametrize("code, said", [
    ("de", "{breached} überfällig, {soon} bald fällig (SLA 48 Arbeitsstunden je MQL)"),
    ("nl", "{breached} over tijd, {soon} binnenkort (SLA 48 werkuren per MQL)"),
])
def test_the_sla_summary_is_in_the_language(db, code, said):
    urgent = json.loads(run(db, "sla", "--json", "--all")[1])
    breached = sum(item["state"] == "breached" for item in urgent)
    soon = len(urgent) - breached
    out = run(db, "--lang", code, "sla")[1]
    number = lambda value: f"{value:,}".replace(",", ".")
    assert out.splitlines()[-1] == said.format(breached=number(breached), soon=number(soon))
    due = out.splitlines()[0]
    assert re.search(("fällig " if code == "de" else "uiterlijk ") + MOMENT[code], due), due


def test_triage_lang_chooses_the_language_without_the_flag(db, monkeypatch):
    monkeypatch.setenv("TRIAGE_LANG", "nl")
    heading = run(db, "list", "--limit", "1")[1].splitlines()[0]
    language.use("nl")
    dutch = [language._(name) for name in ("id", "stage", "owner", "score", "name", "company", "channel", "interest")]
    assert heading.split() == [word[:1].upper() + word[1:] for word in dutch]
    assert heading.split()[1:3] != ["Stage", "Owner"] and heading.split()[5] == "Bedrijf"
    assert run(db, "--lang", "en", "list", "--limit", "1")[1].splitlines()[0].split()[:3] == ["id", "stage", "owner"]


def test_a_capacity_typed_with_a_decimal_comma_is_read_and_shown_with_one(db):
    done, out = run(db, "--lang", "de", "team", "add", "dirk", "--name", "Dirk", "--capacity", "0,5")
    assert done == 0 and "Kapazität 0,5" in out
    assert run(db, "--lang", "nl", "team", "set", "dirk", "--capacity", "1,5")[1].count("capaciteit 1,5") == 1
    members = {member["login"]: member for member in json.loads(run(db, "team", "list", "--json")[1])}
    assert members["dirk"]["capacity"] == 1.5


@pytest.mark.parametrize("args", [
    ("list", "--limit", "30", "--json"), ("show", "3", "--json"), ("sla", "--json"), ("team", "list", "--json"),
    ("scoring", "report", "--json"), ("scoring", "history", "--json"),
])
def test_json_is_the_same_in_every_language(db, args):
    assert run(db, "accept", "3")[0] == 0 or args[0] != "show"
    english = run(db, "--lang", "en", *args)
    assert english[0] == 0 and json.loads(english[1]) is not None
    assert run(db, "--lang", "de", *args) == english
    assert run(db, "--lang", "nl", *args) == english


def test_an_export_is_the_same_in_every_language(db, tmp_path):
    files = {}
    for code in language.LANGUAGES:
        path = tmp_path / f"leads-{code}.csv"
        assert run(db, "--lang", code, "export", "leads", "-o", str(path))[0] == 0
        files[code] = path.read_bytes()
    assert files["de"] == files["en"] == files["nl"]


def test_a_german_locale_speaks_german_in_a_real_process(db):
    env = {name: value for name, value in os.environ.items()
           if name not in ("TRIAGE_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env["LANG"], env["LOGNAME"] = "de_DE.UTF-8", "anna"
    done = subprocess.run([sys.executable, "-m", "triage.cli", "--db", db, "list", "--stage", "later"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("triage: Fehler: Argument --stage: Phase 'later' unbekannt")
    done = subprocess.run([sys.executable, "-m", "triage.cli", "--db", db, "take"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stdout.strip().isdigit()
    done = subprocess.run([sys.executable, "-m", "triage.cli", "--db", db, "team", "list"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert "Kapazität 1" in done.stdout and "keine Obergrenze" in done.stdout
