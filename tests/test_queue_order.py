"""The queue's order, a domain rule: plain pytest."""

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from triage.domain.models import Interest
from triage.domain.queue_order import LAST_KEY, keys_at, priority, queue_key, with_score

T0 = datetime(2026, 11, 23, 23, 59, 59, 999000, tzinfo=timezone.utc)
leads = st.tuples(st.sampled_from(list(Interest)), st.integers(0, 20 * 24 * 3600 * 1000).map(
    lambda ms: T0 - timedelta(milliseconds=ms)), st.integers(0, 100))


@given(st.lists(leads, min_size=2, max_size=30))
def test_the_key_sorts_as_the_priority(found):
    by_key = sorted(range(len(found)), key=lambda index: (queue_key(*found[index]), index))
    by_priority = sorted(range(len(found)), key=lambda index: (priority(*found[index]).order(), index))
    assert by_key == by_priority
    assert all(queue_key(*lead) < LAST_KEY[0] for lead in found)


def test_handraisers_first_then_the_oldest_day_then_the_highest_score():
    monday, tuesday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc), datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    queue = sorted([("a", Interest.INQUIRY, tuesday, 99), ("b", Interest.INQUIRY, monday, 10),
                    ("c", Interest.INQUIRY, monday + timedelta(hours=5), 90), ("d", Interest.DEMO_REQUEST, tuesday, 1)],
                   key=lambda lead: queue_key(*lead[1:]))
    assert [name for name, *_ in queue] == ["d", "c", "b", "a"]


def test_the_day_is_the_calendar_day_in_utc():
    late = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)
    early = datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # 22:30 UTC on the 23rd
    assert priority(Interest.INQUIRY, early, 5).day == priority(Interest.INQUIRY, late, 90).day
    assert queue_key(Interest.INQUIRY, late, 90) < queue_key(Interest.INQUIRY, early, 5)


@given(leads, st.integers(0, 100))
def test_a_new_score_keeps_the_rest_of_the_key(lead, score):
    interest, handed, old = lead
    assert with_score(queue_key(interest, handed, old), score) == queue_key(interest, handed, score)
    assert keys_at(handed)(interest.value, score) == queue_key(interest, handed, score)
