"""Fair assignment (property tests) and business-hour SLA arithmetic: plain domain rules."""

import random
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.domain.fairness import Away, LeadToAssign, RepLoad, assign, level_after_absence
from triage.domain.models import Stage
from triage.domain.sla import BusinessClock, SlaPolicy, SlaState

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # a Tuesday
TODAY = NOW.date()

#: The bounds the engine keeps, stated: each present rep's count within 2 leads of its
#: weighted share, and its score sum within 2 of the highest lead score of its share.
COUNT_BOUND = 2
SCORE_BOUND_IN_TOP_SCORES = 2

reps_strategy = st.lists(
    st.tuples(st.sampled_from([0.5, 1.0, 1.0, 1.5, 2.0, 3.0]), st.booleans()),
    min_size=1, max_size=7,
)
leads_strategy = st.lists(st.tuples(st.integers(0, 100), st.booleans()), min_size=1, max_size=250)


def build(rep_specs, lead_specs, caps=None):
    reps = [
        RepLoad(login=f"rep{i}", weight=weight,
                away=(Away(date(2026, 11, 20), date(2026, 11, 30)),) if away else (),
                cap=None if caps is None else caps[i])
        for i, (weight, away) in enumerate(rep_specs)
    ]
    leads = [LeadToAssign(id=i + 1, score=score, handraiser=hand, queue_key=f"{i:06d}")
             for i, (score, hand) in enumerate(lead_specs)]
    return reps, leads


@settings(max_examples=150, deadline=None)
@given(reps_strategy, leads_strategy)
def test_counts_and_scores_stay_within_the_stated_bound_of_the_weighted_share(rep_specs, lead_specs):
    reps, leads = build(rep_specs, lead_specs)
    outcome = assign(leads, reps, NOW)
    present = [rep for rep in reps if not rep.away]
    if not present:
        assert outcome.assignments == [] and len(outcome.unassigned) == len(leads)
        return
    assert len(outcome.assignments) == len(leads)
    weight = sum(rep.weight for rep in present)
    total_score = sum(lead.score for lead in leads)
    top = max(lead.score for lead in leads) or 1
    for rep in present:
        got = outcome.reps[rep.login]
        assert abs(got.count - rep.weight * len(leads) / weight) <= COUNT_BOUND
        assert abs(got.score - rep.weight * total_score / weight) <= SCORE_BOUND_IN_TOP_SCORES * top


@settings(max_examples=100, deadline=None)
@given(reps_strategy, leads_strategy, st.lists(st.one_of(st.none(), st.integers(0, 40)), min_size=7, max_size=7))
def test_absent_and_full_reps_get_nothing_and_the_result_is_deterministic(rep_specs, lead_specs, caps):
    reps, leads = build(rep_specs, lead_specs, caps)
    outcome = assign(leads, reps, NOW)
    given_to = {assignment.login for assignment in outcome.assignments}
    for rep in reps:
        if rep.away:
            assert rep.login not in given_to
        if rep.cap is not None:
            assert outcome.reps[rep.login].open_leads <= rep.cap
    shuffled_leads, shuffled_reps = leads[:], reps[:]
    random.Random(1).shuffle(shuffled_leads)
    random.Random(2).shuffle(shuffled_reps)
    again = assign(shuffled_leads, shuffled_reps, NOW)
    assert again.assignments == outcome.assignments and again.unassigned == outcome.unassigned
    assert {lead_id for lead_id, _ in outcome.unassigned} | {a.lead_id for a in outcome.assignments} == {
        lead.id for lead in leads}


def test_handraisers_first_and_every_choice_explained():
    reps = [RepLoad("anna", cap=1), RepLoad("bob", away=(Away(TODAY, TODAY),))]
    leads = [LeadToAssign(1, 50, queue_key="1"), LeadToAssign(2, 80, handraiser=True, queue_key="2")]
    outcome = assign(leads, reps, NOW)
    [only] = outcome.assignments
    assert (only.lead_id, only.login) == (2, "anna")
    assert "0 open of cap 1" in only.reason and "skipped bob away until 2026-11-24" in only.reason
    assert outcome.unassigned == [(1, "anna at cap (1 open of 1); bob away until 2026-11-24")]


def test_reps_get_only_the_countries_or_languages_they_cover():
    reps = [RepLoad("dutch", languages=frozenset({"nl"})), RepLoad("austria", countries=frozenset({"AT"}))]
    leads = [LeadToAssign(1, 50, country="BE"), LeadToAssign(2, 50, country="AT"), LeadToAssign(3, 50, country="FR")]
    outcome = assign(leads, reps, NOW)
    assert {(a.lead_id, a.login) for a in outcome.assignments} == {(1, "dutch"), (2, "austria")}
    assert outcome.unassigned == [(3, "austria does not cover FR; dutch does not cover FR")]


def test_a_rep_back_from_holiday_is_not_flooded():
    back = RepLoad("back", count=0, score=0, away=(Away(date(2026, 11, 2), date(2026, 11, 20)),))
    stayed = [RepLoad("anna", count=30, score=1500), RepLoad("bob", count=34, score=1600)]
    levelled = level_after_absence([back, *stayed], window_start=date(2026, 10, 25), today=TODAY)
    assert (levelled[0].count, levelled[0].score) == (30, 1500)
    outcome = assign([LeadToAssign(i, 50, queue_key=f"{i:03d}") for i in range(12)], levelled, NOW)
    got = Counter_of(outcome)
    assert got["back"] <= 7  # shares with anna, instead of taking all twelve to catch up


def Counter_of(outcome):
    counts = {}
    for assignment in outcome.assignments:
        counts[assignment.login] = counts.get(assignment.login, 0) + 1
    return counts


# --- the SLA clock ---------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args):
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def clock():
    return BusinessClock(SlaPolicy(country="DE", region="BY", timezone="Europe/Berlin",
                                   day_starts=time(8), day_ends=time(18)))


def test_48_business_hours_skip_the_weekend(clock):
    # Thursday 10:00 + 48 h of 10-hour days: Thu 8 h, Fri 10, Mon 10, Tue 10, Wed 10 = 48 at Wed 18:00
    assert clock.add(local(2026, 11, 19, 10), 48) == local(2026, 11, 25, 18)
    assert clock.between(local(2026, 11, 20, 17), local(2026, 11, 23, 9)) == pytest.approx(2)


def test_a_public_holiday_is_no_working_day(clock):
    # 1 May 2026 is a Friday and a holiday: Thursday 16:00 + 4 h ends on Monday 10:00
    assert clock.add(local(2026, 4, 30, 16), 4) == local(2026, 5, 4, 10)
    # Epiphany, 6 January 2027, a Wednesday, is a holiday in Bavaria but not in Berlin.
    berlin = BusinessClock(SlaPolicy(country="DE", region="BE"))
    assert clock.add(local(2027, 1, 5, 17), 2) == local(2027, 1, 7, 9)
    assert berlin.add(local(2027, 1, 5, 17), 2) == local(2027, 1, 6, 9)


def test_a_daylight_saving_change_costs_no_working_hour(clock):
    # Clocks go forward on Sunday 29 March 2026; Friday 17:00 + 2 h is Monday 9:00 local time,
    # and the UTC offsets before and after differ by an hour.
    due = clock.add(local(2026, 3, 27, 17), 2)
    assert due == local(2026, 3, 30, 9)
    assert due.astimezone(BERLIN).utcoffset().total_seconds() == 7200
    assert local(2026, 3, 27, 17).utcoffset().total_seconds() == 3600
    assert clock.between(local(2026, 3, 27, 17), due) == pytest.approx(2)


def test_a_hand_over_after_hours_starts_the_clock_next_morning(clock):
    assert clock.add(local(2026, 11, 24, 21, 30), 3) == local(2026, 11, 25, 11)
    assert clock.add(local(2026, 11, 28, 12), 1) == local(2026, 11, 30, 9)  # a Saturday hand-over


def test_status_ok_soon_and_breached(clock):
    handed = local(2026, 11, 19, 10)  # due Wednesday 25 November 18:00
    assert clock.status(Stage.MQL, handed, local(2026, 11, 20, 10)).state is SlaState.OK
    soon = clock.status(Stage.MQL, handed, local(2026, 11, 25, 12))
    assert soon.state is SlaState.SOON and soon.hours_left == pytest.approx(6) and soon.text() == "6h left"
    late = clock.status(Stage.MQL, handed, local(2026, 11, 26, 10))
    assert late.state is SlaState.BREACHED and late.text() == "2h over"
    assert clock.status(Stage.SAL, handed, local(2026, 11, 26, 10)) is None


@pytest.mark.parametrize("values, message", [
    ({"timezone": "Mars/Olympus"}, "not a time zone"),
    ({"working_days": [7]}, "numbers 0 .Monday. to 6"),
    ({"day_starts": "18:00", "day_ends": "08:00"}, "must end after it starts"),
    ({"country": "XX"}, "no public holidays known"),
])
def test_a_bad_sla_policy_says_what_is_wrong(values, message):
    with pytest.raises(ValueError, match=message):
        SlaPolicy(**values)


def test_the_engine_gives_the_stored_sample_the_same_assignments_and_explanations():
    """The sample's outcomes as the engine gave them before it was compiled once per run."""
    import json

    from fairness_sample import STORED, outcomes

    stored = json.loads(STORED.read_text(encoding="utf-8"))
    found = outcomes()
    assert [len(scenario["batches"]) for scenario in found] == [len(scenario["batches"]) for scenario in stored]
    for now, then in zip(found, stored, strict=True):
        for batch, stored_batch in zip(now["batches"], then["batches"], strict=True):
            assert batch["assignments"] == stored_batch["assignments"]
            assert batch["unassigned"] == stored_batch["unassigned"]
            assert batch["reps"] == stored_batch["reps"]


def test_a_run_assigned_batch_by_batch_ends_as_one_assigned_at_once():
    from fairness_sample import WHEN, sample_leads, sample_reps

    from triage.domain.fairness import FairAssignment

    leads = sorted(sample_leads(7, 300), key=lambda lead: (not lead.handraiser, lead.queue_key, lead.id))
    whole = assign(leads, sample_reps(4), WHEN)
    engine = FairAssignment(sample_reps(4), WHEN)
    batches = [engine.assign(leads[start:start + 41]) for start in range(0, len(leads), 41)]
    assert [a for batch in batches for a in batch.assignments] == whole.assignments
    assert [u for batch in batches for u in batch.unassigned] == whole.unassigned
    assert batches[-1].reps == whole.reps
    assert len({a.lead_id for a in whole.assignments}) > 200


def test_nobody_on_the_team_is_said_for_every_lead():
    outcome = assign([LeadToAssign(1, 50), LeadToAssign(2, 10)], [], NOW)
    assert outcome.unassigned == [(1, "nobody on the team"), (2, "nobody on the team")]
