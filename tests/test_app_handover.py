"""Sales told at once: a running app names a lead handed over to the pool or to its rep."""

from __future__ import annotations

import asyncio
import time

from test_app import settle, until

from screens.app import TriageApp
from screens.lead_queue import LeadQueue
from storage import LeadRepository, open_database
from triage.services.intake import Intake
from triage.domain.models import LeadData, Role, Stage, TeamMember
from triage.services import Services, new_lead


async def test_a_demo_request_reaches_the_reps_app_within_two_seconds(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name="Pool", last_name="Lead", email="pool@firma.de")),
                    new_lead(LeadData(first_name="Hanna", last_name="Handraiser", email="hanna@kunde.de"),
                             stage=Stage.NEW)])
    for login, role in (("lena", Role.LEAD), ("anna", Role.REP), ("mia", Role.MARKETING)):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=role))
    marketing = Intake(Services.open(repo, "mia"))
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: app.queue_screen._handed_up_to is not None, "the app knows where the audit trail stands")
        assert [row.last_name for row in app.query_one(LeadQueue).rows] == ["Lead"]
        marketing.record_signals([{"email": "hanna@kunde.de", "type": "demo_requested"}], "hubspot")
        handed = time.monotonic()
        while not any("Handraiser" in str(note.message) for note in app._notifications):
            assert time.monotonic() - handed < 2.0, "not told within two seconds"
            await asyncio.sleep(0.05)
        [told] = [str(note.message) for note in app._notifications if "Handraiser" in str(note.message)]
        assert "Hanna Handraiser (#2): demo requested" in told
        await settle(app, pilot)
        assert [row.last_name for row in app.query_one(LeadQueue).rows] == ["Handraiser", "Lead"]  # handraiser first
        marketing.record_signals([{"email": "pool@firma.de", "type": "email_opened"}], "hubspot")
        await pilot.pause(1.5)
        assert not any("Pool Lead" in str(note.message) for note in app._notifications)  # no hand-over


async def test_a_hostile_name_in_a_hand_over_is_shown_literally_and_inert(tmp_path):
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name="[@click=app.quit]x[/]", last_name="\x1b[31m[bold]Evil",
                                      email="evil@kunde.de"), stage=Stage.NEW)])
    for login, role in (("anna", Role.REP), ("mia", Role.MARKETING)):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=role))
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: app.queue_screen._handed_up_to is not None, "the app knows where the audit trail stands")
        Intake(Services.open(repo, "mia")).record_signals([{"email": "evil@kunde.de", "type": "demo_requested"}], "api")
        await until(pilot, lambda: any("(#1)" in str(note.message) for note in app._notifications), "told of it")
        [told] = [str(note.message) for note in app._notifications if "(#1)" in str(note.message)]
        assert told.startswith("[@click=app.quit]x[/] ") and "[bold]Evil" in told and "\x1b" not in told
        await settle(app, pilot)
        from textual.widgets._toast import Toast

        toasts = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert "[@click=app.quit]x[/]" in toasts and "[bold]Evil" in toasts  # drawn as typed, not an action
        assert app.is_running
