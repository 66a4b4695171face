"""Storage against a real SQLite file and a real PostgreSQL server: persistence, audit,
stale refusals, races, migrations. Every test runs on both unless it is about one of them."""

import multiprocessing
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from storage import SCHEMA_VERSION, LeadRepository, open_database, schema_version
from storage.db import is_postgres
from triage.domain.errors import DatabaseError, IllegalMove, LeadNotFound, StaleLead
from triage.domain.models import LeadData, ReturnDecision, Stage
from triage.services import Services, new_lead
from triage.domain.queue import QueueView
from triage.domain.queue_order import LAST_KEY

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def make_leads(repo, count, **overrides):
    leads = [
        new_lead(
            LeadData(first_name=f"First{i}", last_name=f"Last{i}", email=f"p{i}@firma{i}.de",
                     company=f"Firma {i} GmbH", **overrides),
            score=50,
            handed_over_at=T0 + timedelta(minutes=i),
            actor="marketing",
        )
        for i in range(count)
    ]
    return repo.add_leads(leads)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return "sqlite:///" + str(tmp_path / "triage.db")


@pytest.fixture
def sqlite_url(tmp_path):
    return "sqlite:///" + str(tmp_path / "triage.db")


@pytest.fixture
def repo(url):
    return LeadRepository(open_database(url))


def test_new_database_is_at_the_current_schema_version(repo):
    assert schema_version(repo.db) == SCHEMA_VERSION
    if is_postgres(repo.db):
        [(collation,)] = repo.db.execute_sql(
            "SELECT collation_name FROM information_schema.columns WHERE table_name = 'lead' AND column_name = 'queue_key'"
        ).fetchall()
        assert collation == "C"
        return
    pragmas = {name: repo.db.execute_sql(f"PRAGMA {name}").fetchone()[0]
               for name in ("journal_mode", "foreign_keys", "busy_timeout", "page_size")}
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "page_size": 32768}


def test_an_existing_sqlite_file_keeps_its_page_size(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as made:  # as an earlier triage made it: 4 KB pages, no journal mode set
        made.execute("CREATE TABLE kept (x)")
    repo = LeadRepository(open_database(f"sqlite:///{path}"))
    make_leads(repo, 3)
    assert repo.db.execute_sql("PRAGMA page_size").fetchone()[0] == 4096 and repo.count_leads() == 3
    assert repo.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    repo.db.close()


def test_decisions_persist_with_their_audit_events(url, repo):
    make_leads(repo, 3)
    anna = Services.open(repo, "anna")
    anna.decisions.accept(1)
    anna.decisions.return_lead(2, ReturnDecision(reason="contract", path="nurture", note="call in June",
                                       contract_until="2027-05-31"))
    anna.decisions.return_lead(3, ReturnDecision(reason="other", path="disqualify", note="a student project"))
    repo.db.close()

    reopened = Services.open(LeadRepository(open_database(url)), "bob")
    accepted, nurtured, disqualified = (reopened.decisions.lead(i) for i in (1, 2, 3))
    assert (accepted.stage, accepted.owner, accepted.version) == (Stage.SAL, "anna", 2)
    assert (nurtured.stage, nurtured.owner) == (Stage.RETURNED, None)
    assert disqualified.stage is Stage.DISQUALIFIED

    [event] = reopened.decisions.history(2)
    assert (event.actor, event.action, event.from_stage, event.to_stage) == ("anna", "return", Stage.MQL, Stage.RETURNED)
    assert (event.reason, event.path) == ("contract", "nurture")
    assert event.note == "contract until 2027-05-31; call in June"
    assert abs(event.at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    [event] = reopened.decisions.history(1)
    assert (event.from_stage, event.to_stage, event.reason) == (Stage.MQL, Stage.SAL, None)


def test_recycled_lead_comes_back_as_mql_and_counts(repo):
    make_leads(repo, 1)
    svc = Services.open(repo, "anna")
    svc.decisions.return_lead(1, ReturnDecision(reason="not_ready", path="nurture"))
    marketing = Services.open(repo, "marketing")
    lead = marketing.decisions.recycle(1)
    assert (lead.stage, lead.recycle_count, lead.owner) == (Stage.MQL, 1, None)
    svc.decisions.return_lead(1, ReturnDecision(reason="not_ready", path="nurture"))
    assert marketing.decisions.recycle(1).recycle_count == 2
    assert [e.action for e in svc.decisions.history(1)] == ["return", "recycle", "return", "recycle"]


def test_illegal_move_and_missing_lead_change_nothing(repo):
    make_leads(repo, 1)
    svc = Services.open(repo, "anna")
    svc.decisions.accept(1)
    with pytest.raises(IllegalMove, match="is already accepted"):
        svc.decisions.accept(1)
    with pytest.raises(LeadNotFound, match="no lead with id 99"):
        svc.decisions.accept(99)
    assert svc.decisions.lead(1).version == 2
    assert len(svc.decisions.history(1)) == 1


def test_stale_decision_is_refused_with_who_and_when(repo):
    make_leads(repo, 1)
    anna, bob = Services.open(repo, "anna"), Services.open(repo, "bob")
    seen_by_anna = anna.decisions.lead(1)
    bob.decisions.return_lead(1, ReturnDecision(reason="capacity", path="nurture"))
    with pytest.raises(StaleLead, match="lead 1 was changed by bob at") as caught:
        anna.decisions.accept(1, expected_version=seen_by_anna.version)
    assert caught.value.changed_by == "bob"
    lead = anna.decisions.lead(1)
    assert lead.stage is Stage.RETURNED and lead.updated_by == "bob"
    assert [e.actor for e in anna.decisions.history(1)] == ["bob"]


def test_write_guard_refuses_a_lead_read_before_a_concurrent_change(repo):
    """Even past the service's own check, the store refuses a write based on an old read."""
    make_leads(repo, 1)
    anna = Services.open(repo, "anna")
    old = repo.get(1)
    Services.open(repo, "bob").decisions.accept(1)
    from triage.domain.models import AuditEvent, utcnow

    event = AuditEvent(lead_id=1, actor="anna", at=utcnow(), action="return",
                       from_stage=Stage.MQL, to_stage=Stage.RETURNED)
    with pytest.raises(StaleLead, match="changed by bob"):
        repo.change(old, {"stage": Stage.RETURNED}, event)
    assert anna.decisions.lead(1).stage is Stage.SAL
    assert len(anna.decisions.history(1)) == 1


def _race(url, login, lead_ids, barrier, results):
    svc = Services.open(LeadRepository(open_database(url)), login)
    versions = {lead_id: svc.decisions.lead(lead_id).version for lead_id in lead_ids}
    for lead_id in lead_ids:
        barrier.wait()
        try:
            if login == "anna":
                svc.decisions.accept(lead_id, expected_version=versions[lead_id])
            else:
                svc.decisions.return_lead(lead_id, ReturnDecision(reason="no_fit", path="nurture"),
                                expected_version=versions[lead_id])
            results.put((login, lead_id, "won"))
        except StaleLead:
            results.put((login, lead_id, "stale"))
        except Exception as exc:  # the test reports any other outcome as a failure
            results.put((login, lead_id, f"error {type(exc).__name__}: {exc}"))


def test_two_processes_deciding_the_same_lead_give_exactly_one_winner(url, repo):
    lead_ids = list(range(1, 31))
    make_leads(repo, len(lead_ids))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_race, args=(url, login, lead_ids, barrier, results)) for login in ("anna", "bob")]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in range(2 * len(lead_ids))]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert not [o for o in outcomes if o[2].startswith("error")], outcomes
    for lead_id in lead_ids:
        mine = sorted(o[2] for o in outcomes if o[1] == lead_id)
        assert mine == ["stale", "won"], (lead_id, mine)
        winner = next(o[0] for o in outcomes if o[1] == lead_id and o[2] == "won")
        lead = repo.get(lead_id)
        assert lead.stage is (Stage.SAL if winner == "anna" else Stage.RETURNED)
        assert [e.actor for e in repo.history(lead_id)] == [winner]


def test_queue_order_handraisers_then_day_of_hand_over_then_score(repo):
    leads = [
        new_lead(LeadData(last_name="old inquiry"), score=10, handed_over_at=T0),
        new_lead(LeadData(last_name="new demo", interest="demo_request"), score=5, handed_over_at=T0 + timedelta(days=2)),
        new_lead(LeadData(last_name="old demo", interest="demo_request"), score=1, handed_over_at=T0 + timedelta(days=1)),
        new_lead(LeadData(last_name="old quote high", interest="quote_request"), score=90, handed_over_at=T0 + timedelta(hours=1)),
        new_lead(LeadData(last_name="old quote low", interest="quote_request"), score=20, handed_over_at=T0 + timedelta(hours=1)),
        new_lead(LeadData(last_name="later same day"), score=95, handed_over_at=T0 + timedelta(hours=5)),
        new_lead(LeadData(last_name="next day best"), score=100, handed_over_at=T0 + timedelta(days=1)),
    ]
    repo.add_leads(leads)
    page = Services.open(repo, "anna").decisions.queue_page(QueueView.POOL)
    assert [row.last_name for row in page.rows] == [
        "old demo", "new demo", "later same day", "old quote high", "old quote low", "old inquiry", "next day best"
    ]


def test_queue_pages_by_key_forwards_and_backwards(repo):
    make_leads(repo, 250)
    svc = Services.open(repo, "anna")
    seen, after = [], None
    while True:
        page = svc.decisions.queue_page(QueueView.POOL, after=after, limit=40)
        seen.extend(row.id for row in page.rows)
        if not page.more:
            break
        after = (page.rows[-1].queue_key, page.rows[-1].id)
    assert seen == list(range(1, 251))

    last = svc.decisions.queue_page(QueueView.POOL, before=LAST_KEY, limit=40)
    assert [row.id for row in last.rows] == list(range(211, 251)) and last.more
    first_row = last.rows[0]
    previous = svc.decisions.queue_page(QueueView.POOL, before=(first_row.queue_key, first_row.id), limit=40)
    assert [row.id for row in previous.rows] == list(range(171, 211))


def test_mine_and_pool_are_separate_queues(repo):
    make_leads(repo, 5)
    anna = Services.open(repo, "anna")
    assert anna.decisions.queue_count(QueueView.MINE) == 0 and anna.decisions.queue_count(QueueView.POOL) == 5
    lead = repo.get(2)
    from triage.domain.models import AuditEvent, utcnow

    repo.change(lead, {"owner": "anna"}, AuditEvent(lead_id=2, actor="lead", at=utcnow(), action="assign"))
    assert [r.id for r in anna.decisions.queue_page(QueueView.MINE).rows] == [2]
    assert 2 not in [r.id for r in anna.decisions.queue_page(QueueView.POOL).rows]
    assert Services.open(repo, "bob").decisions.queue_count(QueueView.MINE) == 0
    anna.decisions.accept(2)
    assert anna.decisions.queue_count(QueueView.MINE) == 0


def test_filter_matches_name_company_email_case_and_wildcards_literally(repo):
    repo.add_leads([
        new_lead(LeadData(first_name="Jürgen", last_name="Müller", company="Acme GmbH", email="jm@acme.de")),
        new_lead(LeadData(first_name="Anna", last_name="de Vries", company="100% Bouw B.V.", email="anna@bouw.nl")),
        new_lead(LeadData(first_name="Piet", last_name="Jansen", company="Jansen_Co", email="piet@jansen.nl")),
    ])
    svc = Services.open(repo, "anna")

    def names(text):
        return [row.last_name for row in svc.decisions.queue_page(QueueView.POOL, text=text).rows]

    assert names("MÜLLER") == ["Müller"]
    assert names("acme.de") == ["Müller"]
    assert names("100%") == ["de Vries"]
    assert names("%") == ["de Vries"]
    assert names("n_c") == ["Jansen"]
    assert names("_") == ["Jansen"]
    assert svc.decisions.queue_count(QueueView.POOL, "nl") == 2


def test_a_capped_count_stops_one_past_its_cap(repo):
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", company="Acme" if i % 2 else "Bouw")) for i in range(9)])
    pool = Services.open(repo, "anna").decisions
    assert [pool.queue_count(QueueView.POOL, at_most=cap) for cap in (0, 3, 8, 9, 50)] == [1, 4, 9, 9, 9]
    assert [pool.queue_count(QueueView.POOL, "acme", at_most=cap) for cap in (2, 4)] == [3, 4]
    assert pool.queue_count(QueueView.MINE, at_most=3) == 0


V1_SCHEMA = """
CREATE TABLE "triage_meta" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
CREATE TABLE "lead" ("id" INTEGER NOT NULL PRIMARY KEY, "salutation" VARCHAR(255) NOT NULL,
  "first_name" VARCHAR(255) NOT NULL, "last_name" VARCHAR(255) NOT NULL, "email" VARCHAR(255) NOT NULL,
  "phone" VARCHAR(255) NOT NULL, "job_title" VARCHAR(255) NOT NULL, "company" VARCHAR(255) NOT NULL,
  "country" VARCHAR(255) NOT NULL, "channel" VARCHAR(255) NOT NULL, "interest" VARCHAR(255) NOT NULL,
  "existing_customer" INTEGER NOT NULL, "creditworthiness" VARCHAR(255) NOT NULL,
  "emails_opened" INTEGER NOT NULL, "emails_clicked" INTEGER NOT NULL, "pages_visited" INTEGER NOT NULL,
  "forms_filled" INTEGER NOT NULL, "notes" TEXT NOT NULL, "score" INTEGER NOT NULL,
  "stage" VARCHAR(255) NOT NULL, "owner" VARCHAR(255), "recycle_count" INTEGER NOT NULL,
  "version" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "handed_over_at" DATETIME,
  "updated_at" DATETIME NOT NULL, "updated_by" VARCHAR(255) NOT NULL, "queue_key" VARCHAR(255) NOT NULL);
CREATE INDEX "lead_email" ON "lead" ("email");
CREATE TABLE "audit_event" ("id" INTEGER NOT NULL PRIMARY KEY, "lead_id" INTEGER NOT NULL,
  "actor" VARCHAR(255) NOT NULL, "at" DATETIME NOT NULL, "action" VARCHAR(255) NOT NULL,
  "from_stage" VARCHAR(255), "to_stage" VARCHAR(255), "reason" VARCHAR(255), "path" VARCHAR(255),
  "note" TEXT NOT NULL, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE);
CREATE TABLE "team_member" ("login" VARCHAR(255) NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL,
  "role" VARCHAR(255) NOT NULL, "capacity" REAL NOT NULL);
INSERT INTO triage_meta VALUES ('schema_version', '1');
INSERT INTO lead VALUES (1, 'Frau', 'Änne', 'Schröder', 'a@schroeder.de', '', '', 'Schröder AG', 'DE',
  'event', 'demo_request', 0, 'unknown', 0, 0, 0, 0, '', 40, 'mql', NULL, 0, 1,
  '2026-11-01 08:00:00', '2026-11-01 08:00:00', '2026-11-01 08:00:00', 'marketing', '020261101080000000000060');
"""


def test_a_version_1_database_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:
        raw.executescript(V1_SCHEMA)
    repo = LeadRepository(open_database(f"sqlite:///{path}"))
    assert schema_version(repo.db) == SCHEMA_VERSION
    svc = Services.open(repo, "anna")
    assert [row.last_name for row in svc.decisions.queue_page(QueueView.POOL, text="SCHRÖDER").rows] == ["Schröder"]
    assert svc.decisions.accept(1).stage is Stage.SAL
    indexes = {row[0] for row in repo.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "lead_queue" in indexes


def test_a_newer_database_is_refused_clearly(tmp_path, url):
    open_database(url).execute_sql("UPDATE triage_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(DatabaseError, match="schema version 999, newer than this triage"):
        open_database(url)


def test_unsupported_or_unusable_urls_are_refused_clearly(tmp_path):
    with pytest.raises(DatabaseError, match="unsupported database URL"):
        open_database("mysql://x/y")
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="junk.db"):
        open_database(f"sqlite:///{tmp_path / 'junk.db'}")


def test_a_failing_database_gives_a_triage_error_not_a_peewee_one(repo):
    make_leads(repo, 2)
    svc = Services.open(repo, "anna")
    repo.db.execute_sql("DROP TABLE audit_event")
    with pytest.raises(DatabaseError, match='the database failed: (no such table: audit_event|relation "audit_event" does not exist); the accept of lead 1 was not stored: try again$'):
        svc.decisions.accept(1)
    assert repo.get(1).stage is Stage.MQL  # the guarded update rolled back with the failed audit insert
    repo.db.execute_sql("DROP TABLE lead CASCADE" if is_postgres(repo.db) else "DROP TABLE lead")
    with pytest.raises(DatabaseError, match='no such table: lead|relation "lead" does not exist'):
        svc.decisions.queue_page(QueueView.POOL)
    with pytest.raises(DatabaseError):
        list(repo.list_leads())


def _take_all(url, login, barrier, results):
    repo = LeadRepository(open_database(url))
    service = Services.open(repo, login)
    barrier.wait()
    taken = []
    try:
        while (lead := service.decisions.take()) is not None:
            taken.append(lead.id)
    except Exception as exc:  # reported to the test, which fails on it
        results.put((login, f"error {type(exc).__name__}: {exc}"))
        return
    results.put((login, taken))


def test_two_processes_taking_from_the_pool_never_take_the_same_lead(url, repo):
    make_leads(repo, 120)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_take_all, args=(url, login, barrier, results)) for login in ("anna", "bob")]
    for worker in workers:
        worker.start()
    outcome = dict(results.get(timeout=90) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert all(isinstance(taken, list) for taken in outcome.values()), outcome
    both = outcome["anna"] + outcome["bob"]
    assert sorted(both) == list(range(1, 121))  # none twice, none lost (on a busy machine one may take most)
    for login, taken in outcome.items():
        for lead_id in taken[:10]:  # a sample: every lead's owner and single take event
            lead = repo.get(lead_id)
            assert (lead.owner, lead.stage, lead.version) == (login, Stage.MQL, 2)
            assert [(e.actor, e.action) for e in repo.history(lead_id)] == [(login, "take")]
    assert Services.open(repo, "carl").decisions.take() is None


def test_take_follows_the_queue_order(repo):
    repo.add_leads([
        new_lead(LeadData(last_name="inquiry"), score=90, handed_over_at=T0),
        new_lead(LeadData(last_name="demo", interest="demo_request"), score=10, handed_over_at=T0 + timedelta(days=1)),
    ])
    anna = Services.open(repo, "anna")
    assert [anna.decisions.take().last_name, anna.decisions.take().last_name] == ["demo", "inquiry"]
    assert [row.last_name for row in anna.decisions.queue_page(QueueView.MINE).rows] == ["demo", "inquiry"]


def test_many_leads_go_in_with_their_text_as_it_is(repo, tmp_path):
    """The one bulk insert binds every value: quotes, percent signs and markup are stored as
    typed, by `add_leads` and by an import alike, and ids follow on."""
    odd = "O'Brien 100% [bold]'; DROP TABLE lead; --"
    repo.add_leads([new_lead(LeadData(first_name=odd, last_name="Büro", company=odd))])
    path = tmp_path / "odd.csv"
    path.write_text(f'first_name,last_name,company,email\n"{odd}",Zweite,"{odd}",z@firma.de\n', encoding="utf-8")
    summary = Services.open(repo, "marketing").transfer.import_file(path)
    assert summary.imported == 1 and summary.new_lead_ids == [2]
    first, second = repo.list_leads()
    assert (first.first_name, first.company, second.first_name, second.company) == (odd, odd, odd, odd)
    assert repo.add_leads([new_lead(LeadData(first_name="Later"))]) == 1 and repo.get(3).first_name == "Later"


def test_a_rescore_leaves_a_lead_changed_meanwhile_for_the_next_one(repo):
    from triage.domain.rules import default_rules
    from triage.domain.scoring import Scorer

    repo.add_leads([new_lead(LeadData(first_name=f"L{i}", channel="event", email=f"l{i}@firma.de")) for i in range(5)])
    rules = default_rules()
    channel = {**rules.points.channel, "event": rules.points.channel.get("event", 0) + 7}
    changed = rules.model_copy(update={"version": "bench", "points": rules.points.model_copy(update={"channel": channel})})
    scorer = Scorer.of(changed)
    rows = repo.leads_to_rescore(scorer.stamp, scorer.fields)
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    lead = repo.get(3)
    Services.open(repo, "anna").decisions.accept(3, lead.version)  # a decision between the read and the write
    assert repo.save_scores(scorer.stamp, [(row, *scorer.score_values(row[6:], row[5])) for row in rows]) == 5
    assert [lead.rules_version == scorer.stamp for lead in repo.list_leads()] == [True, True, False, True, True]
    assert repo.get(1).score == score_of(repo.get(1), changed) == repo.get(3).score + 7
    assert Services.open(repo, "lena", rules=changed).scoring.rescore() == 1 and repo.get(3).rules_version == scorer.stamp


def score_of(lead, rules):
    from triage.domain.scoring import score_lead

    return score_lead(lead, rules).score
