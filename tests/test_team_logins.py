"""Team mode on PostgreSQL: each member's own login, and the roles enforced by the server.

A team database here is owned, as in a real team, by a login that may create roles but is
no superuser; the team lead adds the members through triage, and each member then tries,
through plain SQL with their own login, what their role must not do.
"""

from __future__ import annotations

import io
import itertools

import psycopg
import pytest

from triage.cli.main import main

NUMBERS = itertools.count(1)


def run(url, *args, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    return main(["--db", url, *args], out=out), out.getvalue()


class Team:
    """A team database and its members' URLs."""

    def __init__(self, server, monkeypatch) -> None:
        number = next(NUMBERS)
        self.server = server
        self.database = f"team_{number}"
        self.suffix = f"_{number}"
        self.owner = f"owner{self.suffix}"
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute(f'CREATE ROLE "{self.owner}" LOGIN CREATEROLE PASSWORD \'owner-pw\'')
            admin.execute(f'CREATE DATABASE "{self.database}" OWNER "{self.owner}"')
        self.owner_url = server.login_url(self.owner, "owner-pw", self.database)
        self.monkeypatch = monkeypatch

    def login(self, name: str) -> str:
        return name + self.suffix

    def url(self, name: str) -> str:
        return self.server.login_url(self.login(name), f"{name}-pw", self.database)

    def add(self, name: str, role: str) -> None:
        code, out = run(self.owner_url, "team", "add", self.login(name), "--name", name.title(), "--role", role,
                        "--password-stdin", stdin=f"{name}-pw\n", monkeypatch=self.monkeypatch)
        assert code == 0, out
        assert f"{name}-pw" not in out

    def sql(self, name: str) -> psycopg.Connection:
        return psycopg.connect(self.url(name), autocommit=True)


@pytest.fixture
def team(postgres_server, monkeypatch):
    team = Team(postgres_server, monkeypatch)
    assert run(team.owner_url, "seed", "--leads", "12", "--reps", "0")[0] == 0
    for name, role in (("rita", "rep"), ("ralf", "rep"), ("lena", "lead"), ("bert", "board"), ("mia", "marketing")):
        team.add(name, role)
    with psycopg.connect(team.owner_url, autocommit=True) as owner:
        owner.execute('UPDATE "lead" SET "owner" = %s WHERE "id" IN (1, 2)', (team.login("rita"),))
        owner.execute('UPDATE "lead" SET "owner" = %s WHERE "id" IN (3, 4)', (team.login("ralf"),))
    return team


def refused(connection: psycopg.Connection, statement: str, params: tuple = ()) -> str:
    """Run `statement`, which the server must refuse; its error message."""
    with pytest.raises(psycopg.errors.Error) as error:
        connection.execute(statement, params)
    return str(error.value)


def lead_row(team: Team, lead_id: int) -> tuple:
    with psycopg.connect(team.owner_url) as owner:
        return owner.execute('SELECT "stage", "owner", "version", "first_name" FROM "lead" WHERE "id" = %s',
                             (lead_id,)).fetchone()


def test_each_member_has_a_login_of_their_own_in_the_group_of_their_role(team):
    with psycopg.connect(team.owner_url) as owner:
        groups = dict(owner.execute(
            "SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname LIKE %s", ("%" + team.suffix,)).fetchall())
    assert groups == {
        team.login("rita"): f"{team.database}_rep", team.login("ralf"): f"{team.database}_rep",
        team.login("lena"): f"{team.database}_lead", team.login("bert"): f"{team.database}_board",
        team.login("mia"): f"{team.database}_marketing", team.owner: f"{team.database}_lead",
    }
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(team.server.login_url(team.login("rita"), "wrong", team.database))


def test_a_rep_cannot_change_another_reps_lead_through_sql(team):
    before = lead_row(team, 3)
    with team.sql("rita") as rita:
        assert "assigned to" in refused(rita, 'UPDATE "lead" SET "stage" = \'sal\' WHERE "id" = 3')
        assert "row-level security" in refused(
            rita, 'UPDATE "lead" SET "owner" = %s WHERE "id" = 5', (team.login("ralf"),))
        rita.execute('UPDATE "lead" SET "stage" = \'sal\', "version" = "version" + 1 WHERE "id" = 1')  # her own
        rita.execute('UPDATE "lead" SET "owner" = %s WHERE "id" = 6', (team.login("rita"),))  # from the pool
    assert lead_row(team, 3) == before
    assert lead_row(team, 1)[0] == "sal" and lead_row(team, 6)[1] == team.login("rita")


def test_a_rep_cannot_write_an_audit_event_in_another_name_nor_change_the_team(team):
    with team.sql("rita") as rita:
        assert "row-level security" in refused(
            rita, "INSERT INTO audit_event (lead_id, actor, at, action, note) VALUES (1, %s, now(), 'accept', '')",
            (team.login("lena"),))
        rita.execute("INSERT INTO audit_event (lead_id, actor, at, action, note) VALUES (1, %s, now(), 'note', '')",
                     (team.login("rita"),))
        assert "permission denied" in refused(rita, "UPDATE team_member SET role = 'lead'")
        assert "permission denied" in refused(
            rita, "INSERT INTO rules_version (version, stamp, text, adopted_by, adopted_at, note) "
                  "VALUES ('9', '9#x', 'version = \"9\"', %s, now(), '')", (team.login("rita"),))
        assert "permission denied" in refused(rita, "INSERT INTO team_member (login, name, role, capacity, away, "
                                                    "countries, languages) VALUES ('x', 'X', 'lead', 1, '[]', '[]', '[]')")
        assert "permission denied" in refused(rita, "SELECT triage_member_login(%s, NULL, %s)",
                                              (team.login("rita"), f"{team.database}_lead"))
        assert "permission denied" in refused(rita, 'INSERT INTO "lead" (channel, interest, stage, created_at, '
                                                    'updated_at, queue_key) VALUES (\'web_form\', \'demo_request\', '
                                                    '\'mql\', now(), now(), \'0\')')


def test_the_review_board_cannot_change_anything(team):
    with team.sql("bert") as bert:
        assert bert.execute('SELECT count(*) FROM "lead"').fetchone() == (12,)
        for statement in ('UPDATE "lead" SET "stage" = \'sal\'', 'DELETE FROM "lead"',
                          "INSERT INTO audit_event (lead_id, actor, at, action, note) "
                          "VALUES (1, current_user, now(), 'accept', '')",
                          "UPDATE team_member SET capacity = 2", "DELETE FROM team_member"):
            assert "permission denied" in refused(bert, statement)


def test_nobody_changes_or_deletes_an_audit_event_not_even_the_team_lead_or_the_owner(team, monkeypatch):
    assert run(team.url("rita"), "accept", "1")[0] == 0
    with team.sql("lena") as lena:  # no grant to do so
        assert "permission denied" in refused(lena, "UPDATE audit_event SET actor = 'someone'")
        assert "permission denied" in refused(lena, "DELETE FROM audit_event")
    # the owner and a superuser hold every grant: the trigger refuses them
    for url in (team.owner_url, team.server.url(team.database)):
        with psycopg.connect(url, autocommit=True) as connection:
            assert "append-only" in refused(connection, "UPDATE audit_event SET actor = 'someone'")
            assert "append-only" in refused(connection, "DELETE FROM audit_event")
            assert "append-only" in refused(connection, "TRUNCATE audit_event CASCADE")
    with psycopg.connect(team.owner_url) as owner:
        assert owner.execute("SELECT actor, action FROM audit_event WHERE lead_id = 1").fetchall() == [
            (team.login("rita"), "accept")]


def test_who_acts_is_the_connections_user_and_as_cannot_claim_another(team):
    code, _ = run(team.url("rita"), "--as", team.login("lena"), "accept", "5")
    assert code == 1 and lead_row(team, 5)[0] == "mql"
    assert run(team.url("rita"), "--as", team.login("rita"), "accept", "5")[0] == 0
    code, out = run(team.url("rita"), "show", "5", "--json")
    assert code == 0 and f'"actor": "{team.login("rita")}"' in out


def test_through_triage_each_role_is_refused_what_it_may_not_do(team):
    assert run(team.url("rita"), "accept", "3")[0] == 1  # ralf's lead
    assert run(team.url("bert"), "accept", "6")[0] == 1
    assert run(team.url("rita"), "team", "add", "x" + team.suffix, "--name", "X", "--role", "lead",
               "--password-stdin")[0] == 1
    assert (lead_row(team, 3)[0], lead_row(team, 6)[0]) == ("mql", "mql")
    assert run(team.url("lena"), "accept", "3")[0] == 0  # the team lead decides any lead


def test_the_team_lead_changes_a_role_and_ends_a_login(team, monkeypatch):
    assert run(team.url("lena"), "team", "set", team.login("ralf"), "--role", "board")[0] == 0
    with team.sql("ralf") as ralf:
        assert "permission denied" in refused(ralf, 'UPDATE "lead" SET "stage" = \'sal\' WHERE "id" = 3')
    assert run(team.url("lena"), "team", "remove", team.login("ralf"))[0] == 0
    with pytest.raises(psycopg.OperationalError):
        team.sql("ralf")


def test_a_team_lead_cannot_take_over_a_database_role_that_is_not_the_teams(team, monkeypatch):
    code, out = run(team.url("lena"), "team", "add", team.owner, "--name", "Owner", "--role", "rep",
                    "--password-stdin", stdin="hijack\n", monkeypatch=monkeypatch)
    assert code == 1
    psycopg.connect(team.owner_url).close()  # the owner's password is unchanged


def test_a_password_never_shows_in_a_message(team, capsys):
    code, out = run(team.url("rita"), "db", "check")
    assert code == 0 and "rita-pw" not in out and "***" in out
    assert "encrypted" in out


def test_the_urls_libpq_parameters_are_honoured_and_db_check_says_whether_it_is_encrypted(team):
    url = team.url("rita")
    code, out = run(url + "?sslmode=require", "db", "check")
    assert code == 0 and "encrypted (TLS)" in out and "not encrypted" not in out
    code, out = run(url + "?sslmode=disable", "db", "check")
    assert code == 0 and "not encrypted" in out


def test_a_password_with_url_special_characters_works_percent_encoded(team, monkeypatch):
    login = "p" + team.suffix
    code, _ = run(team.owner_url, "team", "add", login, "--name", "P", "--role", "rep", "--password-stdin",
                  stdin="a@b:c/d%e\n", monkeypatch=monkeypatch)
    assert code == 0
    url = team.server.login_url(login, "a%40b%3Ac%2Fd%25e", team.database)
    code, out = run(url, "db", "check")
    assert code == 0 and "a%40b" not in out and "a@b" not in out


def test_a_member_connects_with_pgpassword_or_a_pgpass_file(team, tmp_path, monkeypatch):
    bare = f"postgresql://{team.login('rita')}@127.0.0.1:{team.server.port}/{team.database}"
    monkeypatch.setenv("PGPASSWORD", "rita-pw")
    assert run(bare, "db", "check")[0] == 0
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{team.server.port}:{team.database}:{team.login('rita')}:rita-pw\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert run(bare, "db", "check")[0] == 0
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert run(bare, "db", "check")[0] == 1


def test_a_member_connects_through_a_libpq_service_file(team, tmp_path, monkeypatch):
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[sales]\nhost=127.0.0.1\nport={team.server.port}\ndbname={team.database}\n"
                        f"user={team.login('rita')}\npassword=rita-pw\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    code, out = run("postgresql:///?service=sales", "db", "check")
    assert code == 0 and "reachable" in out
    assert run("postgresql:///?service=sales", "list", "--json")[0] == 0


def test_the_live_hand_over_runs_under_a_marketing_login(team):
    """(storage's tables share one database handle per process, as one `triage serve` has:
    the marketing login's service is opened last.)"""
    from triage.cli.main import service_for
    from triage.services.intake import Intake
    from triage.domain.rules import Webhook

    assert Intake(service_for(["--db", team.url("lena")])).add_token("hubspot").startswith("trg_")
    assert run(team.url("rita"), "accept", "5")[0] == 0  # the outbox is written by the decision, as rita
    with psycopg.connect(team.owner_url) as owner:
        [(email,)] = owner.execute('SELECT "email" FROM "lead" WHERE "id" = 5').fetchall()
    mia = Intake(service_for(["--db", team.url("mia")]))
    mia.check_may_serve()
    with pytest.raises(Exception, match="only a team lead"):
        mia.add_token("other")
    assert mia.token_name("wrong") is None
    answer = mia.once("hubspot", "call-1", b"demo", lambda: mia.record_signals(
        [{"email": email, "type": "demo_requested"}], "hubspot"))
    assert answer.status == 200 and mia.once("hubspot", "call-1", b"demo", lambda: None) == answer
    hook = Webhook(url="http://127.0.0.1:9/marketing", events=("accepted",))
    assert mia.fan_out((hook,)) == 1
    [delivery] = mia.due_deliveries()
    mia.attempted(delivery, status=None, error="ConnectionRefusedError")
    assert mia.deliveries()[0]["attempts"] == 1
    with psycopg.connect(team.owner_url) as owner:
        actors = owner.execute("SELECT actor, action FROM audit_event WHERE lead_id = 5 ORDER BY id").fetchall()
    assert actors == [(team.login("rita"), "accept"), (team.login("mia"), "handover_signal")]


async def test_a_reps_app_is_told_of_a_hand_over_through_listen_notify(team):
    """The rep's own login listens; marketing's demo request, made by another process under
    its own login, reaches the app as a PostgreSQL notice (the looks every few seconds, the
    fallback, are an hour apart here, so only the notice can tell it)."""
    import asyncio
    import subprocess
    import sys

    from screens.app import TriageApp
    from screens.lead_queue import LeadQueue
    from triage.cli.main import service_for

    assert run(team.url("rita"), "return", "1", "--reason", "not_ready", "--path", "nurture")[0] == 0
    with psycopg.connect(team.owner_url) as owner:
        [(email, last_name)] = owner.execute('SELECT "email", "last_name" FROM "lead" WHERE "id" = 1').fetchall()
    app = TriageApp(service_for(["--db", team.url("rita")]), poll_seconds=3600)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for _ in range(200):
            if app.queue_screen._handed_up_to is not None:
                break  # listening, and the app knows where the audit trail stands
            await pilot.pause(0.05)
        with psycopg.connect(team.url("rita")) as rita:
            [(listening,)] = rita.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s "
                                          "AND query LIKE 'LISTEN%%'", (team.login("rita"),)).fetchall()
        assert listening == 1
        demo = ("from triage.cli.main import service_for; from triage.services.intake import Intake; "
                f"Intake(service_for(['--db', {team.url('mia')!r}])).record_signals("
                f"[{{'email': {email!r}, 'type': 'demo_requested'}}], 'hubspot')")
        subprocess.run([sys.executable, "-c", demo], check=True, capture_output=True, timeout=60)
        for _ in range(200):
            told = [str(note.message) for note in app._notifications if "(#1)" in str(note.message)]
            if told:
                break
            await pilot.pause(0.05)
        assert told and f"{last_name} (#1): demo requested" in told[0], told
        if app.queue_screen.view.value != "pool":
            await pilot.press("m")
        for _ in range(100):
            rows = app.query_one(LeadQueue).rows
            if any(row.id == 1 for row in rows):
                break
            await pilot.pause(0.05)
        assert any(row.id == 1 for row in rows)  # in the pool, at its place in the queue's order
        assert [row.id for row in rows] == [row.id for row in sorted(rows, key=lambda row: (row.queue_key, row.id))]


def test_a_web_tab_on_postgresql_carries_no_login_and_signs_in(team):
    from triage.cli.web import app_command

    command = app_command(team.url("lena"), None, None, sign_in=True)
    assert "lena-pw" not in command and team.login("lena") not in command and "--sign-in" in command
    assert f"@127.0.0.1:{team.server.port}" not in command and f"127.0.0.1:{team.server.port}" in command


async def test_a_web_tab_on_postgresql_signs_in_with_the_members_own_login(team):
    from textual.widgets import Input, Static

    from screens.app import TriageApp
    from screens.queue_screen import QueueScreen
    from triage.cli.main import sign_in_to

    sign_in, where = sign_in_to(team.url("lena"))
    assert "lena-pw" not in where
    app = TriageApp(None, sign_in=sign_in, where=where)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*team.login("rita"), "enter", *"wrong", "enter")  # as a member types them
        await app.workers.wait_for_complete()
        await pilot.pause()
        error = str(app.screen.query_one("#sign-in-error", Static).render())
        assert "not signed in" in error and "wrong" not in error
        assert not isinstance(app.screen, QueueScreen)
        assert app.screen.query_one("#sign-in-password", Input).value == ""
        await pilot.press(*"rita-pw", "enter")
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen)
        assert app.service.actor == team.login("rita")
        assert app.sub_title == f"signed in as {team.login('rita')}"
