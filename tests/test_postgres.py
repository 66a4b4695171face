"""PostgreSQL in team mode: lost connections, the decision in flight, `triage db check`.

The storage suite (test_storage.py) already runs on PostgreSQL as on SQLite; these are the
things only a server can do to a rep.
"""

import io
import threading
import time

import psycopg
import pytest

from interpreters import fresh_python
from storage import SCHEMA_VERSION, LeadRepository, open_database
from triage.cli.main import main
from triage.domain.errors import DatabaseError
from triage.domain.models import LeadData, Stage
from triage.services import Services, new_lead


@pytest.fixture
def repo(pg_url):
    repo = LeadRepository(open_database(pg_url))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", email=f"l{i}@firma.de")) for i in range(5)])
    return repo


def test_a_server_restart_between_decisions_is_survived(repo, postgres_server):
    anna = Services.open(repo, "anna")
    assert anna.decisions.accept(1).stage is Stage.SAL
    postgres_server.restart()
    assert anna.decisions.accept(2).stage is Stage.SAL  # the connection is opened again, no error
    assert [event.actor for event in anna.decisions.history(2)] == ["anna"]


def test_a_decision_cut_off_in_flight_says_it_was_not_stored(repo, pg_url):
    anna = Services.open(repo, "anna")
    [(pid,)] = repo.db.execute_sql("SELECT pg_backend_pid()").fetchall()
    holder = psycopg.connect(pg_url.replace("postgresql://", "postgresql://", 1))
    holder.execute('SELECT id FROM "lead" WHERE id = 1 FOR UPDATE')  # the decision below waits on it

    def cut_off() -> None:
        time.sleep(0.5)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    killer = threading.Thread(target=cut_off)
    killer.start()
    with pytest.raises(DatabaseError, match="the accept of lead 1 was not stored: try again"):
        anna.decisions.accept(1, expected_version=1)
    killer.join()
    holder.rollback()
    holder.close()
    lead = repo.get(1)
    assert (lead.stage, lead.version, repo.history(1)) == (Stage.MQL, 1, [])
    assert anna.decisions.accept(1, expected_version=1).stage is Stage.SAL  # and the rep simply tries again


def run(*args):
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def test_db_check_says_reachable_and_whether_migrated(pg_url, tmp_path):
    code, out = run("--db", pg_url, "db", "check")
    assert code == 1 and "reachable, PostgreSQL 15" in out and f"not migrated yet (schema version 0 of {SCHEMA_VERSION})" in out
    assert run("--db", pg_url, "list")[0] == 0  # any command migrates
    code, out = run("--db", pg_url, "db", "check")
    assert code == 0 and f"migrated (schema version {SCHEMA_VERSION} of {SCHEMA_VERSION})" in out
    sqlite = "sqlite:///" + str(tmp_path / "x.db")
    assert run("--db", sqlite, "list")[0] == 1 and not (tmp_path / "x.db").exists()  # not created by a read
    assert run("--db", sqlite, "seed", "--leads", "0", "--reps", "0")[0] == 0
    code, out = run("--db", sqlite, "db", "check")
    assert code == 0 and "reachable, SQLite 3" in out


def test_db_check_on_a_server_that_is_not_there(capsys):
    code, out = run("--db", "postgresql://triage:secret@127.0.0.1:9/nowhere", "db", "check")
    err = capsys.readouterr().err
    assert code == 1 and "cannot open database postgresql://triage:***@127.0.0.1:9/nowhere" in err
    assert "secret" not in err and len(err.strip().splitlines()) == 1


def test_the_cli_works_on_postgres_as_the_connected_user(pg_url):
    assert run("--db", pg_url, "seed", "--leads", "60", "--reps", "3")[0] == 0
    code, out = run("--db", pg_url, "list", "--stage", "mql", "--limit", "5")
    assert code == 0 and len(out.splitlines()) == 6
    assert run("--db", pg_url, "--as", "lena", "accept", "7")[0] == 1  # a claim, not who connected
    assert run("--db", pg_url, "accept", "7")[0] == 0
    code, out = run("--db", pg_url, "show", "7")
    assert code == 0 and "stage     SAL" in out and "triage  accept" in out


async def test_the_app_works_unchanged_on_postgres(repo):
    from test_app import SIZE, press, settle

    from screens.app import TriageApp
    from screens.lead_queue import LeadQueue

    app = TriageApp(Services.open(repo, "anna"), poll_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert [row.id for row in app.query_one(LeadQueue).rows] == [1, 2, 3, 4, 5]
        await press(app, pilot, "a")
        assert repo.get(1).stage is Stage.SAL
        Services.open(repo, "bob").decisions.accept(3)
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert [row.id for row in app.query_one(LeadQueue).rows] == [2, 4, 5]


@pytest.mark.parametrize("separate_process", [False, True])
def test_an_import_into_postgresql_merges_and_takes_ids_from_the_sequence(repo, tmp_path, separate_process):
    path = tmp_path / "Kampagne 'Herbst' 100%.csv"
    path.write_text(
        "email,first_name,last_name,channel,interest,created_at,emails_opened\n"
        "l1@firma.de,,Eins,event,demo,2026-10-01 09:30,3\n"          # stored already: fills the last name
        "neu@firma.de,Neu,Kunde,Brieftaube,quote,01.10.2026,2\n"
        "NEU@firma.de,,,,,,5\n",                                     # earlier in this file: more opens
        encoding="utf-8")
    service = Services.open(repo, "marketing")
    summary = service.transfer.import_file(path, separate_process=separate_process)
    assert summary.line() == "imported 1, merged 2, rejected 0" and summary.unknown_channels == ["Brieftaube"]
    leads = {lead.email: lead for lead in repo.list_leads()}
    assert leads["l1@firma.de"].last_name == "Eins" and leads["l1@firma.de"].version == 2
    new = leads["neu@firma.de"]
    assert new.id == 6 and new.stage is Stage.MQL and new.emails_opened == 5 and new.extra == {"channel": "Brieftaube"}
    assert new.created_at.isoformat()[:10] == "2026-10-01" and new.score > 0
    assert new.updated_by == "import Kampagne 'Herbst' 100%.csv"
    repo.add_leads([new_lead(LeadData(first_name="Later"))])  # the sequence knows the imported id
    assert max(lead.id for lead in repo.list_leads()) == 7
    assert service.transfer.import_file(path, separate_process=separate_process).line() == "imported 0, merged 3, rejected 0"


# --- psycopg only when a team database opens ---------------------------------------------

def test_a_rep_on_sqlite_never_loads_psycopg(tmp_path):
    code = ("import sys; from storage import LeadRepository, open_database; "
            "repo = LeadRepository(open_database(sys.argv[1])); repo.count_leads(); "
            "print('psycopg' in sys.modules)")
    assert fresh_python(code, f"sqlite:///{tmp_path / 'rep.db'}") == "False"


def test_a_team_database_brings_psycopg_along_when_it_opens(pg_url):
    code = ("import sys; from storage import LeadRepository, open_database; "
            "from triage.domain.models import LeadData; from triage.services import Services, new_lead; "
            "assert 'psycopg' not in sys.modules; repo = LeadRepository(open_database(sys.argv[1])); "
            "repo.add_leads([new_lead(LeadData(first_name='Eva', email='eva@firma.de'))]); "
            "anna = Services.open(repo, 'anna'); anna.decisions.accept(1); "
            "print(repo.get(1).stage.value, repo.db.in_transaction())")
    assert fresh_python(code, pg_url) == "sal False"
