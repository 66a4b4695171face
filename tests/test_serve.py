"""`triage serve` against the real thing: the server a process of its own on loopback, a
real SQLite file, HTTP calls on keep-alive connections, a webhook receiver that goes down
and comes back, and a server killed right after it answered."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storage import LeadRepository, open_database
from logins import main_as
from triage.services.intake import signed
from triage.domain.models import LeadData, ReturnDecision, Stage
from triage.domain.rules import default_rules, rules_to_toml
from triage.services import Services, new_lead

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hubspot-app-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli(url, *args) -> tuple[int, str]:
    out = io.StringIO()
    return main_as("lena", ["--db", url, *args], out=out), out.getvalue()


class Serve:
    """`triage serve` in a process of its own."""

    def __init__(self, url: str, port: int | None = None) -> None:
        self.url, self.port = url, port or free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "Serve":
        env = dict(os.environ, TRIAGE_HUBSPOT_SECRET=SECRET, LOGNAME="lena")  # the team lead runs it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "triage.cli", "--db", self.url, "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("triage serve did not start: " + self.stop())

    def stop(self, kill: bool = False) -> str:
        if self.process is None:
            return ""
        (self.process.kill if kill else self.process.terminate)()
        out = self.process.communicate(timeout=20)[0]
        self.process = None
        return out

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def call(self, method, path, body=None, token=None, headers=None, connection=None):
        connection = connection or self.connection()
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        connection.request(method, path, body=raw, headers=sent)
        answer = connection.getresponse()
        text = answer.read().decode()
        assert "Traceback" not in text
        return answer.status, (json.loads(text) if text else None)


@pytest.fixture
def team(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    assert cli(url, "seed", "--leads", "0", "--reps", "2")[0] == 0
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(email="neu@firma.de", first_name="Neu", external_id="hs-1"), stage=Stage.NEW),
                    new_lead(LeadData(email="mql@firma.de", first_name="Mql")),
                    new_lead(LeadData(email="weg@firma.de", first_name="Weg"), stage=Stage.DISQUALIFIED)])
    code, token = cli(url, "token", "add", "hubspot")
    assert code == 0
    return url, repo, token.strip()


@pytest.fixture
def server(team):
    serve = Serve(team[0]).start()
    yield serve
    serve.stop()


def test_every_api_call_needs_a_valid_token(team, server):
    url, _, token = team
    assert server.call("POST", "/api/events", [])[0] == 401
    assert server.call("POST", "/api/events", [], token="trg_wrong")[0] == 401
    assert server.call("GET", "/api/suppression", token=token)[0] == 200
    assert cli(url, "token", "revoke", "hubspot")[0] == 0
    time.sleep(2.2)  # the server remembers a token two seconds
    status, body = server.call("GET", "/api/suppression", token=token)
    assert status == 401 and "revoked" in body["problems"][0]["problem"]
    code, out = cli(url, "token", "list")
    assert "hubspot" in out and "revoked" in out and token not in out


def test_bad_calls_are_answered_and_change_nothing(team, server):
    _, repo, token = team
    connection = server.connection()  # one keep-alive connection through all of them
    assert server.call("POST", "/api/events", b"{nope", token=token, connection=connection)[0] == 400
    status, body = server.call("POST", "/api/events", [
        {"email": "mql@firma.de", "type": "email_opened", "url": "m1"},
        {"email": "unknown@firma.de", "type": "email_opened"},
        {"email": "mql@firma.de", "type": "coffee"}], token=token, connection=connection)
    assert status == 422
    fields = [problem["field"] for problem in body["problems"]]
    assert fields == ["events.2.type"]  # the shape first; the unknown lead once the shape is right
    status, body = server.call("POST", "/api/events", [
        {"email": "mql@firma.de", "type": "email_opened", "url": "m1"},
        {"email": "unknown@firma.de", "type": "email_opened"}], token=token, connection=connection)
    assert status == 422 and body["problems"] == [{"field": "events.1.email", "problem": "no lead with this email"}]
    assert repo.get(2).emails_opened == 0  # nothing of the call stored
    status, body = server.call("POST", "/api/leads", [{"email": "ok@firma.de"}, {"email": "kaputt", "firstname": "X"}],
                               token=token, connection=connection)
    assert status == 422 and body["problems"][0]["field"] == "leads.1.email"
    assert repo.count_leads() == 3
    big = b"[" + b" " * (9 * 1024 * 1024) + b"]"
    assert server.call("POST", "/api/events", big, token=token)[0] == 413
    assert server.call("GET", "/healthz", connection=connection)[0] == 200  # still serving


def test_leads_come_in_as_an_import_reads_them_and_a_retried_call_changes_nothing(team, server):
    _, repo, token = team
    leads = [{"email": "anna@kunde.de", "firstname": "Anna", "lastname": "Kunde", "company": "Kunde AG",
              "Kanal": "Messe"},
             {"email": "MQL@firma.de", "phone": "+49 30 1"}]
    key = {"Idempotency-Key": "batch-1"}
    first = server.call("POST", "/api/leads", leads, token=token, headers=key)
    assert first == (200, {"imported": 1, "merged": 1, "ids": [4], "assigned": 1, "unmapped": []})
    assert server.call("POST", "/api/leads", leads, token=token, headers=key) == first
    assert repo.count_leads() == 4
    [anna] = [lead for lead in repo.list_leads() if lead.email == "anna@kunde.de"]
    assert (anna.first_name, anna.company, anna.stage, anna.channel.value) == ("Anna", "Kunde AG", Stage.MQL, "event")
    assert anna.owner is not None  # pushed to a rep, as an import's new leads are
    assert repo.get(2).phone == "+49 30 1" and repo.get(2).version == 2
    status, body = server.call("POST", "/api/leads", [{"email": "other@kunde.de"}], token=token, headers=key)
    assert status == 422 and body["problems"][0]["field"] == "Idempotency-Key"


def test_signals_fire_the_agreed_triggers_and_are_in_the_history(team, server):
    url, repo, token = team
    Services.open(repo, "lena").decisions.return_lead(2, ReturnDecision(reason="not_ready", path="nurture"))
    calls = [
        [{"email": "neu@firma.de", "type": "email_opened", "url": f"mail-{n}"} for n in (1, 2)],
        [{"external_id": "hs-1", "type": "email_clicked", "url": "mail-3"}],
        [{"email": "mql@firma.de", "type": "page_viewed", "url": "https://firma.de/case-studies/bau"}],
        [{"email": "weg@firma.de", "type": "demo_requested"}],
    ]
    answers = [server.call("POST", "/api/events", call, token=token)[1] for call in calls]
    assert answers[0]["handed_over"] == []
    assert answers[1]["handed_over"] == [{"id": 1, "trigger": "nurture finished: 3 mails opened or clicked",
                                          "from": "new", "to": "mql"}]
    assert answers[2]["handed_over"][0]["from"] == "returned"
    assert answers[3]["handed_over"] == []
    new, returned, disqualified = repo.get(1), repo.get(2), repo.get(3)
    assert new.stage is Stage.MQL and new.emails_opened == 2 and new.emails_clicked == 1 and new.handed_over_at
    assert returned.stage is Stage.MQL and returned.recycle_count == 1 and returned.pages_visited == 1
    assert disqualified.stage is Stage.DISQUALIFIED and disqualified.is_handraiser
    history = repo.history(1)[-1]
    assert history.action == "hand_over" and "mail-3" in history.note and "nurture finished" in history.note
    assert repo.history(2)[-1].action == "recycle" and "case-studies" in repo.history(2)[-1].note
    assert new.score > 0 and new.rules_version


def test_hubspot_calls_are_taken_only_when_signed_and_recent(team, server):
    _, repo, _ = team
    events = [{"subscriptionType": "contact.creation", "objectId": 9001, "eventId": 1},
              {"subscriptionType": "contact.propertyChange", "objectId": 9001, "propertyName": "email",
               "propertyValue": "hs@kunde.de"},
              {"subscriptionType": "contact.propertyChange", "objectId": 9001, "propertyName": "favourite_colour",
               "propertyValue": "blau"}]
    body = json.dumps(events).encode()
    uri = f"http://127.0.0.1:{server.port}/webhooks/hubspot"

    def headers(stamp: int, secret: str = SECRET) -> dict[str, str]:
        message = b"POST" + uri.encode() + body + str(stamp).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
        return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(stamp),
                "Content-Type": "application/json", "Host": f"127.0.0.1:{server.port}"}

    now = int(time.time() * 1000)
    assert server.call("POST", "/webhooks/hubspot", body, headers=headers(now, "wrong"))[0] == 401
    assert server.call("POST", "/webhooks/hubspot", body, headers=headers(now - 6 * 60 * 1000))[0] == 401
    assert server.call("POST", "/webhooks/hubspot", body)[0] == 401
    assert repo.count_leads() == 3
    status, answer = server.call("POST", "/webhooks/hubspot", body, headers=headers(now))
    assert status == 200 and answer == {"created": 1, "changed": 2, "ignored": 0}
    [lead] = [lead for lead in repo.list_leads() if lead.external_id == "9001"]
    assert lead.email == "hs@kunde.de" and lead.stage is Stage.NEW and lead.extra == {"favourite_colour": "blau"}


def test_an_answer_means_it_is_stored_even_if_the_server_dies_right_after(team):
    url, repo, token = team
    serve = Serve(url).start()
    try:
        status, _ = serve.call("POST", "/api/events", [{"email": "mql@firma.de", "type": "form_submitted"}],
                               token=token)
        assert status == 200
    finally:
        serve.stop(kill=True)
    assert LeadRepository(open_database(url)).get(2).forms_filled == 1


def test_the_suppression_list_names_the_leads_sales_works(team, server):
    _, repo, token = team
    Services.open(repo, "lena").decisions.accept(2)
    status, rows = server.call("GET", "/api/suppression", token=token)
    assert status == 200 and [row["email"] for row in rows] == ["mql@firma.de"]


class Receiver:
    """Marketing's webhook receiver on loopback, which can go down and come back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.server: http.server.ThreadingHTTPServer | None = None

    def up(self) -> None:
        calls = self.calls

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                calls.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def wait_for(check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.2)


def test_decisions_reach_marketings_webhook_across_its_downtime_and_a_restart(team, tmp_path):
    url, repo, _ = team
    receiver = Receiver()
    rules = tmp_path / "rules.toml"
    rules.write_text(rules_to_toml(default_rules()).replace('version = "1"', 'version = "hooks-1"')
                     + f'\n[[webhooks]]\nurl = "http://127.0.0.1:{receiver.port}/triage"\n'
                       'events = ["returned", "disqualified", "accepted"]\nsecret = "shared"\n')
    assert cli(url, "scoring", "adopt", str(rules))[0] == 0
    serve = Serve(url).start()
    try:
        lena = Services.open(repo, "lena")
        lena.decisions.return_lead(2, ReturnDecision(reason="not_ready", path="nurture", note="in spring"))
        wait_for(lambda: any(item["attempts"] >= 1 for item in repo.deliveries()))
        assert receiver.calls == [] and repo.deliveries()[0]["state"] == "pending"
        code, log = cli(url, "webhooks", "log")
        assert code == 0 and "pending" in log and "Connect" in log
        serve.stop()  # triage restarts while the receiver is down
        serve.start()
        receiver.up()
        wait_for(lambda: len(receiver.calls) == 1)
        headers, body = receiver.calls[0]
        assert headers["X-Triage-Signature"] == signed("shared", body)
        sent = json.loads(body)
        assert (sent["event"], sent["reason"], sent["note"], sent["lead"]["email"]) == (
            "returned", "not_ready", "in spring", "mql@firma.de")
        wait_for(lambda: repo.deliveries()[0]["state"] == "delivered")
        assert "delivered" in cli(url, "webhooks", "log")[1]
    finally:
        serve.stop()
        receiver.down()
