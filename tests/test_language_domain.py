"""The domain and its services speak German and Dutch: a lead's checklist, its score's
breakdown, a refusal, the SLA and numbers and days come out in the language in use, while
what is stored and what machines read stays as it is."""

from __future__ import annotations

import io
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from storage import LeadRepository, open_database
from triage.domain import language
from triage.domain.checklist import checklist, choices
from triage.domain.errors import IllegalMove, LeadNotFound, RoleRefused, StaleLead
from triage.domain.models import (Channel, Credit, Interest, Lead, LeadData, ReturnPath, ReturnReason, Role, Stage,
                                  TeamMember)
from triage.domain.rules import Activity, Signal
from triage.domain.scoring import FLOORED, format_parts, reason_text, score_lead
from triage.domain.sla import SlaState, SlaStatus
from triage.services import Services, new_lead
from logins import main_as

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def speaking():
    """`speaking("de")` for the test; English again afterwards."""
    yield language.use
    language.use("en")


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def _lead(**changes) -> Lead:
    data = LeadData(first_name="Jörg", last_name="Weiß", email="joerg@gmail.com", company="Müller GmbH",
                    channel=Channel.EVENT, interest=Interest.DEMO_REQUEST, creditworthiness=Credit.C,
                    emails_opened=6, emails_clicked=12, pages_visited=3, forms_filled=1, country="DE")
    lead = new_lead(data, created_at=NOW)
    scored = score_lead(lead)
    return lead.model_copy(update={"score": scored.score, "score_breakdown": scored.parts, **changes})


def _checklist_text(lead: Lead) -> list[str]:
    return [f"{item.label}: {item.answer} ({item.source_label})" for item in checklist(lead)]


def test_a_leads_checklist_in_german_and_dutch(speaking):
    lead = _lead(overrides={"creditworthy": "A"})
    english = _checklist_text(lead)
    speaking("de")
    german = _checklist_text(lead)
    assert german[0] == "Kanal: Event (aus den Daten)"
    assert "seriös: Webmail-Adresse (gmail.com) (aus den Daten)" in german
    assert "Bonität: Bonität A (vom Vertrieb gesetzt)" in german
    assert "Interesse: Demo-Anfrage (Handraiser) (aus den Daten)" in german
    assert ("Aktivität: 6 E-Mails geöffnet, 12 geklickt, 3 Kaufseiten besucht, 1 Formular ausgefüllt "
            "(aus den Daten)") in german
    assert [label for _, label in choices("customer")] == ["Neukunde", "Bestandskunde"]
    speaking("nl")
    dutch = _checklist_text(lead)
    assert dutch[0] == "kanaal: evenement (uit de gegevens)"
    assert "kredietwaardig: kredietwaardigheid A (door sales ingesteld)" in dutch
    assert ("activiteit: 6 e-mails geopend, 12 aangeklikt, 3 aankooppagina’s bezocht, 1 formulier ingevuld "
            "(uit de gegevens)") in dutch
    speaking("en")
    assert _checklist_text(lead) == english
    assert english[0] == "channel: event (derived)"


def test_a_score_breakdown_is_stored_in_english_and_shown_in_the_language(speaking):
    lead = _lead()
    stored = [part.reason for part in lead.score_breakdown]
    english = format_parts(lead.score_breakdown)
    assert english == ", ".join(f"{part.points:+d} {part.reason}" for part in lead.score_breakdown)
    speaking("de")
    german = format_parts(lead.score_breakdown)
    assert "Demo-Anfrage" in german and "Kanal Event" in german and "Bonität C" in german
    assert "12 Klicks (bis 5 gezählt)" in german and "Webmail" in german and "ohne Telefon" in german
    assert [part.reason for part in score_lead(lead).parts] == stored  # scored in German, stored in English
    speaking("nl")
    dutch = format_parts(lead.score_breakdown)
    assert "demoaanvraag" in dutch and "kanaal evenement" in dutch and "kredietwaardigheid C" in dutch
    assert "12 kliks (tot " in dutch


@pytest.mark.parametrize("code", ["de", "nl"])
def test_every_reason_a_breakdown_stores_is_translated(code, speaking):
    """Each channel, interest, credit, customer, signal, missing field, activity and the
    score's bounds: none comes out in English."""
    reasons = {FLOORED, "capped at the maximum of 100"}
    for channel, interest, credit in zip(Channel, [*Interest] * 4, [*Credit] * 3):
        for existing in (False, True):
            lead = new_lead(LeadData(channel=channel, interest=interest, creditworthiness=credit,
                                     existing_customer=existing, email="x@gmail.com", country="US",
                                     notes="Bewerbung als Praktikant", emails_opened=40, emails_clicked=1,
                                     pages_visited=2, forms_filled=30), created_at=NOW)
            reasons |= {part.reason for part in score_lead(lead).parts}
    assert any(reason.startswith("no ") for reason in reasons) and any("counted up to" in r for r in reasons)
    speaking(code)
    untranslated = sorted(reason for reason in reasons if reason_text(reason) == reason)
    assert not untranslated


def test_refusals_in_german_and_dutch(speaking, berlin):
    at = datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)
    speaking("de")
    assert str(IllegalMove(Stage.SAL, Stage.SAL, lead_id=12, by="anna", at=at)) == (
        "Lead 12 ist bereits von anna am Fr 27. Nov. 15:00 angenommen")
    assert str(IllegalMove(Stage.RETURNED, Stage.SAL, lead_id=3)).startswith(
        "Lead 3 ist an Marketing zurückgegeben (SRL): Marketing recycelt ihn")
    assert str(LeadNotFound(7)) == "es gibt keinen Lead mit der ID 7"
    assert "von jemand anderem geändert" in str(StaleLead(4, "", at))
    speaking("nl")
    assert str(IllegalMove(Stage.SAL, Stage.SAL, lead_id=12, by="anna", at=at)) == (
        "lead 12 is al door anna op vr 27 nov 15:00 geaccepteerd")
    assert str(IllegalMove(Stage.NEW, Stage.DISQUALIFIED)) == "een lead kan niet van nieuw naar gediskwalificeerd"
    speaking("en")
    assert str(IllegalMove(Stage.SAL, Stage.SAL, lead_id=12, by="anna", at=at)) == (
        "lead 12 is already accepted by anna on 2026-11-27 15:00")


def test_a_rep_refused_by_the_services_is_told_so_in_dutch(tmp_path, speaking):
    db = "sqlite:///" + str(tmp_path / "t.db")
    out = io.StringIO()
    assert main_as("lena", ["--db", db, "team", "add", "lena", "--name", "Lena", "--role", "lead"], out=out) == 0
    assert main_as("lena", ["--db", db, "team", "add", "ruud", "--name", "Ruud", "--role", "rep"], out=out) == 0
    store = LeadRepository(open_database(db))
    speaking("nl")
    services = Services.open(store, "ruud")
    with pytest.raises(RoleRefused) as refused:
        services.team.add_member(TeamMember(login="piet", name="Piet"))
    assert str(refused.value) == "alleen een teamleider mag het team wijzigen; ruud is salesmedewerker"


def test_labels_numbers_days_and_the_sla_in_german_and_dutch(speaking, berlin):
    due = SlaStatus(due=NOW, hours_left=-3.2, state=SlaState.BREACHED)
    soon = SlaStatus(due=NOW, hours_left=0.75, state=SlaState.SOON)
    assert (due.text(), soon.text()) == ("3h over", "45m left")
    speaking("de")
    assert (due.text(), soon.text()) == ("3 Std. überfällig", "noch 45 Min.")
    assert language.counted(1_000_000, "{count} decision", "{count} decisions") == "1.000.000 Entscheidungen"
    assert language.day(date(2026, 11, 27)) == "27. Nov. 2026"
    assert language.decimal(0.7345, 3) == "0,734" or language.decimal(0.7345, 3) == "0,735"
    assert (Stage.RETURNED.label, ReturnReason.CAPACITY.label, ReturnPath.NURTURE.description, Role.BOARD.label) == (
        "an Marketing zurückgegeben (SRL)", "Vertrieb ausgelastet", "zurück ans Marketing, kann wieder als MQL kommen",
        "Kontrollgremium")
    speaking("nl")
    assert (due.text(), soon.text()) == ("3 u te laat", "nog 45 min")
    assert language.moment(NOW) == "vr 27 nov 15:00"
    assert language.counted(2, "{count} decided lead", "{count} decided leads") == "2 besliste leads"
    assert (Stage.RETURNED.label, ReturnReason.NOT_READY.label, Signal.COMPETITOR.label,
            Activity.PAGES_VISITED.label) == (
        "teruggegeven aan marketing (SRL)", "nog niet koopklaar / reageert niet meer", "concurrent",
        "bezochte aankooppagina’s")
    assert ReturnReason.NOT_READY.value == "not_ready"  # codes stay codes


def test_english_labels_are_what_they_always_were():
    assert [stage.label for stage in Stage] == ["new", "MQL", "SAL", "SQL", "opportunity", "customer",
                                                "returned (SRL)", "disqualified"]
    assert Channel.PAID_ADS.label == "paid ads" and Credit.B.label == "rated B" and Role.LEAD.label == "team lead"


@pytest.mark.parametrize("code", ["de", "nl"])
def test_a_german_or_dutch_xlsx_export_imports_back_field_for_field(code, tmp_path, speaking):
    source = "sqlite:///" + str(tmp_path / "source.db")
    repo = LeadRepository(open_database(source))
    repo.add_leads([new_lead(LeadData(first_name=f"Anna{number}", last_name="Groß", email=f"a{number}@firma.de",
                                      company="Müller GmbH", channel=channel, emails_opened=number, country="DE",
                                      extra={"Straße": "Hauptstr. 1"} if number % 2 else {}),
                             created_at=NOW - timedelta(days=number)) for number, channel in enumerate(Channel)])
    originals = sorted(repo.list_leads(), key=lambda lead: lead.email)
    path = tmp_path / "leads.xlsx"
    out = io.StringIO()
    assert main_as("marketing", ["--lang", code, "--db", source, "export", "leads", "-o", str(path)], out=out) == 0
    headings = next(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert headings[:4] == {"de": ("ID", "Anrede", "Vorname", "Nachname"),
                            "nl": ("ID", "Aanhef", "Voornaam", "Achternaam")}[code]
    target = "sqlite:///" + str(tmp_path / "fresh.db")
    out = io.StringIO()
    assert main_as("marketing", ["--lang", "en", "--db", target, "import", str(path)], out=out) == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1] == f"imported {len(originals)}, merged 0, rejected 0"
    assert "columns not mapped" not in out.getvalue()
    fields = ("first_name", "last_name", "email", "company", "channel", "emails_opened", "country", "extra",
              "created_at")
    again = sorted(LeadRepository(open_database(target)).list_leads(), key=lambda lead: lead.email)
    assert [[getattr(lead, name) for name in fields] for lead in again] == [
        [getattr(lead, name) for name in fields] for lead in originals]


@pytest.mark.parametrize("code", ["en", "de", "nl"])
def test_a_day_as_the_language_writes_it_is_read_back(code, speaking):
    from triage.domain.dates import parse_day

    speaking(code)
    for day in (date(2026, 11, 27), date(2027, 3, 1), date(2027, 9, 30), date(2028, 5, 2)):
        assert parse_day(language.day(day)) == day
    assert parse_day("27.11.2026") == date(2026, 11, 27)


def test_the_volume_agreement_in_german_and_dutch(speaking):
    from triage.domain.agreement import MonthVolume

    month = MonthVolume("2026-11", promised=50, due=30, handed_over=22, answered=41, answered_in_time=40,
                        in_time_share=1.0, current=True)
    english = (month.line(), month.short())
    speaking("de")
    assert month.short() == "Nov. 2026 bisher Marketing 22/50, 8 zu wenig; Vertrieb 40/41 im SLA (98 %, zu wenig)"
    speaking("nl")
    assert month.line() == ("nov 2026 tot nu toe  marketing 22 van 50 MQL’s (30 tot nu toe verwacht: 8 te weinig)  "
                            "sales 40 van 41 antwoorden binnen de SLA (98%, afgesproken 100%)")
    speaking("en")
    assert (month.line(), month.short()) == english == (
        "2026-11 so far  marketing 22 of 50 MQLs (30 due by now: short by 8)  sales 40 of 41 answers within the SLA "
        "(98%, agreed 100%)", "2026-11 so far marketing 22/50, short by 8; sales 40/41 in SLA (98%, short)")
