"""The demo seeder: realistic leads, the same for the same seed however they are made."""

from datetime import datetime, timezone

from storage import LeadRepository, open_database
from storage.repository import lead_columns
from triage.domain.scoring import score_lead
from triage.services import seed
from triage.services.seed import demo_leads, demo_row_chunks, demo_rows

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def test_chunks_made_in_other_processes_are_the_leads_made_here(monkeypatch, tmp_path):
    monkeypatch.setattr(seed, "CHUNK", 40)  # several chunks of a few leads: the forked processes see it too
    here = lead_columns(demo_rows(130, 3, owners=["anna", "bob"], now=NOW))
    made = [row for chunk in demo_row_chunks(130, 3, owners=["anna", "bob"], now=NOW, prepare=lead_columns)
            for row in chunk]
    assert made == here and len(made) == 130
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'seed.db'}"))
    assert repo.add_lead_chunks(demo_row_chunks(130, 3, owners=["anna", "bob"], now=NOW, prepare=lead_columns)) == 130
    stored = list(repo.list_leads())
    assert [lead.owner for lead in stored[:4]] == ["anna", "bob", "anna", "bob"]
    for lead, made_here in zip(stored, demo_leads(130, 3, owners=["anna", "bob"], now=NOW), strict=True):
        assert lead.model_dump(exclude={"id", "version"}) == made_here.model_dump(exclude={"id", "version"})
        expected = score_lead(lead)
        assert (lead.score, lead.score_breakdown, lead.rules_version) == (expected.score, expected.parts,
                                                                            expected.rules_version)


def test_demo_leads_are_german_dutch_and_english():
    countries = {lead.country for lead in demo_leads(400, 1, now=NOW)}
    assert {"DE", "AT", "CH", "NL", "BE", "GB", "IE"} <= countries
