"""The app driven as a rep drives it: keys through the Pilot, then a look in the database."""

from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import Input

from screens.app import TriageApp
from screens.help_screen import HelpScreen
from screens.lead_detail import LeadDetail
from screens.lead_queue import BUFFER_ROWS, LeadQueue
from screens.return_dialog import ReturnDialog
from storage import LeadRepository, open_database
from triage.models import AuditEvent, LeadData, ReturnDecision, Stage, utcnow
from triage.services import LeadService, QueueView, new_lead

T0 = datetime.now(timezone.utc) - timedelta(days=3)
SIZE = (140, 40)


def lead(i, **data):
    values = dict(first_name=f"Rep{i}", last_name=f"Lead{i:04d}", company=f"Company {i}",
                  email=f"lead{i}@company{i}.de")
    values.update(data)
    return new_lead(LeadData(**values), score=50, handed_over_at=T0 + timedelta(minutes=i), actor="marketing")


@pytest.fixture
def repo(tmp_path):
    return LeadRepository(open_database("sqlite:///" + str(tmp_path / "app.db")))


@pytest.fixture
def seeded(repo):
    repo.add_leads([
        lead(0, first_name="Anna", last_name="Müller", company="Acme GmbH"),
        lead(1, first_name="Bram", last_name="de Vries", company="Bouw B.V."),
        lead(2, first_name="Clara", last_name="Schmidt", company="Stahl AG"),
        lead(3, first_name="Dirk", last_name="Jansen", company="Jansen Logistiek"),
    ])
    return repo


async def settle(app, pilot):
    await pilot.pause(0.15)  # the detail panel follows the cursor after a short rest
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app) -> str:
    """What the terminal would show, as plain text (the SVG export keeps every character)."""
    return app.export_screenshot()


def detail_text(app) -> str:
    """The detail panel's body as the compositor gets it, line by line."""
    body = app.query_one(LeadDetail).query_one("#lead-detail-body")
    return "\n".join(strip.text for strip in body.render_lines(body.size.region))


def queue_lines(app) -> list[str]:
    queue = app.query_one(LeadQueue)
    return [queue.render_line(y).text for y in range(queue.size.height)]


async def test_open_shows_top_lead_and_its_checklist(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert queue.current.last_name == "Müller"
        assert app.view is QueueView.POOL  # anna owns nothing yet
        lines = queue_lines(app)
        assert "name" in lines[0] and "company" in lines[0] and "age" in lines[0]
        assert "Anna Müller" in lines[1] and "Acme GmbH" in lines[1]
        shown = detail_text(app)
        for words in ("Qualification checklist", "complete", "missing salutation", "serious",
                      "creditworthy", "customer", "interest", "History", "no decisions yet"):
            assert words in shown
        assert queue.border_subtitle == "4 MQLs"


async def test_accept_with_one_key_moves_on_to_the_next_lead(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        accepted = seeded.get(1)
        assert (accepted.stage, accepted.owner) == (Stage.SAL, "anna")
        [event] = seeded.history(1)
        assert (event.actor, event.from_stage, event.to_stage) == ("anna", Stage.MQL, Stage.SAL)
        assert app.query_one(LeadQueue).current.last_name == "de Vries"
        assert "Bram de Vries" in detail_text(app)
        assert any("Accepted Anna Müller" in str(n.message) for n in app._notifications)


async def test_return_through_the_modal_with_reason_path_and_note(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down")  # Bram de Vries
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReturnDialog)
        await pilot.press("down", "enter")  # reason no_fit
        await pilot.press("down", "enter")  # path disqualify
        await pilot.press(*"budget frozen", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReturnDialog)
        returned = seeded.get(2)
        assert (returned.stage, returned.owner) == (Stage.DISQUALIFIED, None)
        [event] = seeded.history(2)
        assert (event.reason, event.path, event.note) == ("no_fit", "disqualify", "budget frozen")
        assert app.query_one(LeadQueue).current.last_name == "Schmidt"


async def test_reason_other_without_note_stays_open_and_says_why(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("end", "enter", "enter", "enter")  # other, nurture, empty note
        await pilot.pause()
        assert isinstance(app.screen, ReturnDialog)
        assert "needs a note" in str(app.screen.query_one("#return-error").render())
        await pilot.press(*"spam", "enter")
        await settle(app, pilot)
        assert seeded.get(1).stage is Stage.RETURNED
        assert seeded.history(1)[0].note == "spam"


async def test_escape_cancels_a_return_and_changes_nothing(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("down", "enter", "escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReturnDialog)
        assert seeded.get(1).stage is Stage.MQL and seeded.get(1).version == 1
        assert seeded.history(1) == []
        assert app.query_one(LeadQueue).current.id == 1


async def test_filter_by_text_and_letters_type_into_it(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"jansen a")  # "a" and "r" must type, not decide
        await pilot.press("backspace", "backspace")
        await pilot.pause(0.3)
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert [row.last_name for row in queue.rows] == ["Jansen"]
        assert all(seeded.get(i).stage is Stage.MQL for i in range(1, 5))
        await pilot.press("enter")  # back to the queue, filter kept
        assert app.focused is queue
        await pilot.press("a")
        await settle(app, pilot)
        assert seeded.get(4).stage is Stage.SAL
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused.value == "jansen"
        await pilot.press("escape")  # clears the filter
        await pilot.pause(0.3)
        await settle(app, pilot)
        assert app.focused is queue
        assert [row.last_name for row in queue.rows] == ["Müller", "de Vries", "Schmidt"]


async def test_stale_decision_is_refused_and_the_queue_refreshes(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.query_one(LeadQueue).current.id == 1
        LeadService(seeded, "bob").return_lead(1, ReturnDecision(reason="capacity", path="nurture"))
        await pilot.press("a")
        await settle(app, pilot)
        assert seeded.get(1).stage is Stage.RETURNED
        assert [e.actor for e in seeded.history(1)] == ["bob"]
        messages = [str(n.message) for n in app._notifications]
        assert any("lead 1 was changed by bob at" in m for m in messages), messages
        assert 1 not in [row.id for row in app.query_one(LeadQueue).rows]


async def test_mine_and_pool_toggle(seeded):
    lead_two = seeded.get(2)
    seeded.change(lead_two, {"owner": "anna"}, AuditEvent(lead_id=2, actor="lead", at=utcnow(), action="assign"))
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert app.view is QueueView.MINE and [row.id for row in queue.rows] == [2]
        assert queue.border_title == "My MQLs"
        await pilot.press("m")
        await settle(app, pilot)
        assert app.view is QueueView.POOL and [row.id for row in queue.rows] == [1, 3, 4]


async def test_help_lists_every_binding(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        for binding in [*TriageApp.BINDINGS, *LeadQueue.BINDINGS]:
            assert binding.description in listed.values()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_the_triage_actions(seeded):
    app = TriageApp(LeadService(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"accept")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert seeded.get(1).stage is Stage.SAL


HOSTILE = [
    "[bold]x[/]",
    "[/]",
    "[@click=app.quit]click me[/]",
    "[link=file:///etc/passwd]link[/link]",
    "wipe\x1b[2Jscreen",
    "title\x1b]0;owned\x07bell",
]


async def test_markup_and_escape_sequences_render_literally_and_inert(repo):
    repo.add_leads([lead(i, first_name=name, company=name, notes=name) for i, name in enumerate(HOSTILE)])
    app = TriageApp(LeadService(repo, "anna"))
    async with app.run_test(size=(230, 40)) as pilot:
        await settle(app, pilot)
        lines = "\n".join(queue_lines(app))
        for shown in ("[bold]x[/]", "[/]", "[@click=app.quit]click me[/]", "[link=file:///etc/passwd]link[/link]",
                      "wipe\u241b[2Jscreen", "title\u241b]0;owned\u2407bell"):
            assert shown in lines
        for _ in HOSTILE:
            await pilot.press("down")
            await settle(app, pilot)
            shown = detail_text(app)
            assert "\x1b" not in shown and "\x07" not in shown
        assert "title\u241b]0;owned\u2407bell" in detail_text(app)
        svg = screen_text(app)
        assert "\x1b" not in svg and "\x07" not in svg
        await pilot.click(LeadQueue, offset=(10, 3))
        await pilot.press("a")
        await settle(app, pilot)
        assert app.is_running


async def test_queue_pages_through_many_leads_holding_only_a_buffer(repo):
    total = 1500
    repo.add_leads([lead(i) for i in range(total)])
    app = TriageApp(LeadService(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert queue.row_count <= BUFFER_ROWS
        seen = set()
        for _ in range(60):
            await pilot.press("pagedown")
            await settle(app, pilot)
            seen.add(queue.current.id)
            assert queue.row_count <= BUFFER_ROWS
        assert max(seen) > BUFFER_ROWS  # got past the first buffer by fetching pages
        await pilot.press("end")
        await settle(app, pilot)
        assert queue.current.id == total
        for _ in range(5):
            await pilot.press("pageup")
            await settle(app, pilot)
        assert queue.current.id < total - 100
        await pilot.press("home")
        await settle(app, pilot)
        assert queue.current.id == 1 and queue.row_count <= BUFFER_ROWS
        assert queue.border_subtitle == f"{total:,} MQLs"


async def test_a_login_with_markup_is_shown_literally(seeded):
    app = TriageApp(LeadService(seeded, "[bold]x[/] [@click=app.quit]y[/] [0"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "signed in as [bold]x[/] [@click=app.quit]y[/] [0" in str(app.query_one("HeaderTitle").render())
        assert app.is_running
