"""A fixed sample for the fair assignment: reps of several weights, caps, away periods,
countries and languages, and leads from many countries, some of them handraisers. The
outcomes stored in `fairness_sample.json` were written by the engine before it was made
faster (`python tests/fairness_sample.py` writes them again: only on purpose)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timezone
from pathlib import Path

from triage.domain.fairness import Away, LeadToAssign, RepLoad, assign

STORED = Path(__file__).with_name("fairness_sample.json")
WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
COUNTRIES = ["DE", "AT", "CH", "NL", "BE", "GB", "US", "FR", "ES", "PL", "DK", "", "de", "JP", "BR"]


def sample_reps(seed: int) -> list[RepLoad]:
    rng = random.Random(seed)
    reps = []
    for number in range(rng.randint(5, 11)):
        away: tuple[Away, ...] = ()
        if rng.random() < 0.2:
            away = (Away(date(2026, 11, 20), date(2026, 11, 30)),)
        elif rng.random() < 0.2:
            away = (Away(date(2026, 11, 1), date(2026, 11, 10)),)
        limited = seed % 3 == 2 or rng.random() < 0.3  # every rep limited: some leads nobody covers
        countries = frozenset(rng.sample(["DE", "AT", "CH", "NL", "GB"], rng.randint(1, 2))) if limited else frozenset()
        languages = frozenset(rng.sample(["de", "nl", "en", "fr"], 1)) if limited and rng.random() < 0.5 else frozenset()
        reps.append(RepLoad(
            login=f"rep{rng.randint(0, 999):03d}x{number}", weight=rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]),
            cap=rng.choice([None, None, None, 40, 150, 3]), open_leads=rng.randint(0, 30),
            count=rng.randint(0, 200), score=rng.randint(0, 9000), away=away,
            countries=countries, languages=languages,
        ))
    return reps


def sample_leads(seed: int, count: int) -> list[LeadToAssign]:
    rng = random.Random(seed)
    return [LeadToAssign(id=number + 1, score=rng.randint(0, 100), country=rng.choice(COUNTRIES),
                         handraiser=rng.random() < 0.1, queue_key=f"{rng.randint(0, 99999):05d}")
            for number in range(count)]


def outcomes() -> list[dict]:
    """Each scenario assigned in batches, each batch going on from the loads the one before
    left, as the service assigns a pool."""
    found = []
    for seed in range(5):
        reps = sample_reps(seed)
        leads = sample_leads(100 + seed, 160)
        batches = []
        for start in range(0, len(leads), 70):
            outcome = assign(leads[start:start + 70], reps, WHEN)
            reps = list(outcome.reps.values())
            batches.append({
                "assignments": [[a.lead_id, a.login, a.reason] for a in outcome.assignments],
                "unassigned": [list(item) for item in outcome.unassigned],
                "reps": {login: [rep.count, rep.score, rep.open_leads] for login, rep in sorted(outcome.reps.items())},
            })
        found.append({"seed": seed, "batches": batches})
    return found


if __name__ == "__main__":
    STORED.write_text(json.dumps(outcomes(), ensure_ascii=False) + "\n", encoding="utf-8")
