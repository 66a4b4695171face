"""The hand-over triggers agreed with marketing, as plain rules."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from triage.domain.handover import ActivitySignal, apply_signals
from triage.domain.models import Interest, Stage
from triage.domain.rules import Handover, default_rules
from triage.services import new_lead
from triage.domain.models import LeadData

RULES = Handover(nurture_mails=3, buying_pages=("/pricing", "/case-studies"))


def lead(stage=Stage.NEW, **data):
    return new_lead(LeadData(email="a@firma.de", **data), lead_id=7, stage=stage)


def signals(*pairs):
    return [ActivitySignal(email="a@firma.de", type=kind, url=url) for kind, url in pairs]


def test_the_third_nurture_mail_opened_or_clicked_hands_a_new_lead_over():
    two = apply_signals(lead(), signals(("email_opened", "m1"), ("email_clicked", "m2")), set(), RULES)
    assert two.trigger == "" and two.to_stage is None
    assert two.changes == {"emails_opened": 1, "emails_clicked": 1}
    third = apply_signals(lead(), signals(("email_opened", "m1"), ("email_opened", "m3")), {"m1", "m2"}, RULES)
    assert third.trigger == "nurture finished: 3 mails opened or clicked" and third.to_stage is Stage.MQL
    assert third.fired_by == ["email_opened m1", "email_opened m3"]


def test_the_same_mail_opened_again_does_not_finish_the_series():
    again = apply_signals(lead(), signals(("email_opened", "m1"), ("email_opened", "m1")), {"m1", "m2"}, RULES)
    assert again.trigger == "" and again.changes == {"emails_opened": 2}


def test_a_buying_page_hands_a_returned_lead_back_and_counts_as_a_page():
    outcome = apply_signals(lead(Stage.RETURNED), signals(("page_viewed", "https://x.de/DE/Pricing?x=1"),
                                                        ("page_viewed", "https://x.de/blog")), set(), RULES)
    assert outcome.to_stage is Stage.MQL and outcome.trigger == "buying page https://x.de/DE/Pricing?x=1"
    assert outcome.changes == {"pages_visited": 1}


def test_a_demo_or_audit_request_makes_a_handraiser_and_wins_over_other_triggers():
    outcome = apply_signals(lead(Stage.MQL), signals(("page_viewed", "/pricing"), ("audit_requested", "")),
                            set(), RULES)
    assert outcome.trigger == "audit requested" and outcome.changes["interest"] is Interest.DEMO_REQUEST
    assert outcome.to_stage is None  # an MQL already: it only moves up the queue


@pytest.mark.parametrize("stage", [Stage.DISQUALIFIED, Stage.SAL])
def test_a_disqualified_or_accepted_lead_stays_where_it_is(stage):
    outcome = apply_signals(lead(stage), signals(("demo_requested", "")), set(), RULES)
    assert outcome.to_stage is None and outcome.trigger == "demo requested"


def test_triggers_can_be_switched_off_in_the_rules():
    off = Handover(on_buying_page=False, on_demo_or_audit=False)
    outcome = apply_signals(lead(), signals(("page_viewed", "/pricing"), ("demo_requested", "")), set(), off)
    assert outcome.trigger == "" and outcome.changes == {"pages_visited": 1, "interest": Interest.DEMO_REQUEST}


def test_a_signal_names_its_lead_and_a_known_type():
    with pytest.raises(ValidationError, match="email or external_id"):
        ActivitySignal(type="email_opened")
    with pytest.raises(ValidationError):
        ActivitySignal(email="a@b.de", type="coffee_drunk")
    naive = ActivitySignal(email="a@b.de", type="email_opened", at="2026-11-24T10:00:00")
    assert naive.at == datetime(2026, 11, 24, 10, tzinfo=timezone.utc)


def test_the_shipped_rules_have_the_agreed_triggers():
    rules = default_rules().handover
    assert rules.nurture_mails == 3 and "/pricing" in rules.buying_pages and "/case-studies" in rules.buying_pages
    assert rules.on_buying_page and rules.on_demo_or_audit
