"""The app driven as a rep drives it: keys through the Pilot, then a look in the database."""

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from screen_captures import settle
from screen_lines import terminal_lines
from textual import events
from textual.command import CommandList
from textual.widgets import Input

from screens.app import TriageApp
from screens.queue_screen import QueueScreen
from screens.help_screen import HelpScreen
from screens.lead_detail import LeadDetail
from screens.lead_queue import BUFFER_ROWS, LeadQueue
from screens.return_dialog import ReturnDialog
from storage import LeadRepository, open_database
from triage.domain.models import AuditEvent, LeadData, ReturnDecision, Stage, utcnow
from triage.services import Services, new_lead
from triage.domain.queue import QueueView

T0 = datetime.now(timezone.utc) - timedelta(days=3)
SIZE = (140, 40)


def lead(i, **data):
    values = dict(first_name=f"Rep{i}", last_name=f"Lead{i:04d}", company=f"Company {i}",
                  email=f"lead{i}@company{i}.de")
    values.update(data)
    return new_lead(LeadData(**values), handed_over_at=T0 + timedelta(minutes=i), actor="marketing")


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


async def until(pilot, condition, what: str) -> None:
    """Let the app run (handle its messages, its timers fire) until `condition()` holds.
    The bound only keeps a test that went wrong from running for ever: it is no time the
    app must keep (a loaded machine may need many seconds)."""
    import time

    deadline = time.monotonic() + UNTIL_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await pilot.pause(0.01)


#: How long `until` lets the app run at the most.
UNTIL_SECONDS = 90


async def press(app, pilot, *keys):
    """Press keys as a rep would, then wait until the app has done what they asked."""
    await pilot.press(*keys)
    await settle(app, pilot)


def screen_text(app) -> str:
    """What the terminal would show: the SVG export keeps every character, entity-escaped."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def detail_text(app) -> str:
    """The detail panel's body as the compositor gets it, line by line."""
    body = app.query_one(LeadDetail).query_one("#lead-detail-body")
    return "\n".join(strip.text for strip in body.render_lines(body.size.region))


def queue_lines(app) -> list[str]:
    queue = app.query_one(LeadQueue)
    return [queue.render_line(y).text for y in range(queue.size.height)]


async def test_open_shows_top_lead_and_its_checklist(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert queue.current.last_name == "Müller"
        assert app.queue_screen.view is QueueView.POOL  # anna owns nothing yet
        lines = queue_lines(app)
        assert "name" in lines[0] and "company" in lines[0] and "SLA" in lines[0]
        assert "Anna Müller" in lines[1] and "Acme GmbH" in lines[1]
        shown = detail_text(app)
        for words in ("Qualification checklist", "complete", "missing salutation", "serious",
                      "creditworthy", "customer", "interest", "History", "no decisions yet"):
            assert words in shown
        assert queue.border_subtitle == "4 MQLs"


async def test_handraisers_first_then_the_day_of_hand_over_then_the_best_score(repo):
    day = (datetime.now(timezone.utc) - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)

    def make(first, interest="inquiry", minutes=0, handed_over_at=None, **activity):
        return new_lead(LeadData(first_name=first, last_name="X", interest=interest, **activity),
                        handed_over_at=handed_over_at or day + timedelta(minutes=minutes))
    repo.add_leads([
        make("Old", minutes=0),
        make("Low", minutes=30, pages_visited=1),
        make("High", minutes=30, pages_visited=5, forms_filled=2),
        make("Demo", interest="demo_request", minutes=60),
        make("Fresh", interest="quote_request", forms_filled=2,
             handed_over_at=datetime.now(timezone.utc) - timedelta(minutes=59, seconds=30)),
    ])
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert [row.first_name for row in queue.rows] == ["Demo", "High", "Low", "Old", "Fresh"]
        lines = queue_lines(app)
        assert lines[1].startswith("▲ Demo X") and not lines[2].startswith("▲")
        assert "Demo X" in detail_text(app) and "demo request (handraiser)" in detail_text(app)
        assert re.search(r"SLA +due \w{3} \d\d \w{3} \d\d:\d\d: \d+[hm] (left|over)", detail_text(app))
        assert lines[5].rstrip().endswith(" left")  # handed over an hour ago


async def test_accept_with_one_key_moves_on_to_the_next_lead(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a")
        accepted = seeded.get(1)
        assert (accepted.stage, accepted.owner) == (Stage.SAL, "anna")
        [event] = seeded.history(1)
        assert (event.actor, event.from_stage, event.to_stage) == ("anna", Stage.MQL, Stage.SAL)
        assert app.query_one(LeadQueue).current.last_name == "de Vries"
        assert "Bram de Vries" in detail_text(app)
        assert any("Accepted Anna Müller" in str(n.message) for n in app._notifications)


async def test_return_through_the_modal_with_reason_path_and_note(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down")  # Bram de Vries
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReturnDialog)
        await pilot.press("down", "enter")  # reason no_fit
        await pilot.press("down", "enter")  # path disqualify
        await press(app, pilot, *"budget frozen", "enter")
        assert not isinstance(app.screen, ReturnDialog)
        returned = seeded.get(2)
        assert (returned.stage, returned.owner) == (Stage.DISQUALIFIED, None)
        [event] = seeded.history(2)
        assert (event.reason, event.path, event.note) == ("no_fit", "disqualify", "budget frozen")
        assert app.query_one(LeadQueue).current.last_name == "Schmidt"


async def test_reason_other_without_note_stays_open_and_says_why(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("end", "enter", "enter", "enter")  # other, nurture, empty note
        await pilot.pause()
        assert isinstance(app.screen, ReturnDialog)
        assert "needs a note" in str(app.screen.query_one("#return-note-error").render())
        await press(app, pilot, *"spam", "enter")
        assert seeded.get(1).stage is Stage.RETURNED
        assert seeded.history(1)[0].note == "spam"


async def test_return_for_a_contract_with_its_end_date(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        until = app.screen.query_one("#return-until", Input)
        await pilot.press("down", "down")  # reason contract
        await pilot.pause()
        await pilot.press("enter", "enter", "tab", *"31.13.2027", "enter")  # nurture, no note, no such day
        await pilot.pause()
        assert isinstance(app.screen, ReturnDialog)
        assert "'31.13.2027' is not a day" in str(app.screen.query_one("#return-until-error").render())
        assert app.focused is until and until.value == "31.13.2027"
        until.value = "31-3-27"  # as people type it
        await press(app, pilot, "ctrl+s")
        assert not isinstance(app.screen, ReturnDialog)
        assert seeded.get(1).stage is Stage.RETURNED
        [event] = seeded.history(1)
        assert (event.reason, event.path, event.note) == ("contract", "nurture", "contract until 2027-03-31")


async def test_escape_cancels_a_return_and_changes_nothing(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        await press(app, pilot, "down", "enter", "escape")
        assert not isinstance(app.screen, ReturnDialog)
        assert seeded.get(1).stage is Stage.MQL and seeded.get(1).version == 1
        assert seeded.history(1) == []
        assert app.query_one(LeadQueue).current.id == 1


async def test_filter_by_text_and_letters_type_into_it(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"jansen a")  # "a" and "r" must type, not decide
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert [row.last_name for row in queue.rows] == ["Jansen"]
        assert all(seeded.get(i).stage is Stage.MQL for i in range(1, 5))
        await pilot.press("enter")  # back to the queue, filter kept
        assert app.focused is queue
        await press(app, pilot, "a")
        assert seeded.get(4).stage is Stage.SAL
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused.value == "jansen"
        await pilot.press("escape")  # clears the filter
        await settle(app, pilot)
        assert app.focused is queue
        assert [row.last_name for row in queue.rows] == ["Müller", "de Vries", "Schmidt"]


async def test_stale_decision_is_refused_and_the_queue_refreshes(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.query_one(LeadQueue).current.id == 1
        Services.open(seeded, "bob").decisions.return_lead(1, ReturnDecision(reason="capacity", path="nurture"))
        await press(app, pilot, "a")
        assert seeded.get(1).stage is Stage.RETURNED
        assert [e.actor for e in seeded.history(1)] == ["bob"]
        messages = [str(n.message) for n in app._notifications]
        assert any("lead 1 was changed by bob at" in m for m in messages), messages
        assert 1 not in [row.id for row in app.query_one(LeadQueue).rows]


async def test_stale_lead_still_in_the_queue_comes_back_fresh_and_can_then_be_decided(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert (queue.current.id, queue.current.version) == (1, 1)
        old = seeded.get(1)
        seeded.change(old, {"score": 99, "phone": "+49 30 555"},
                      AuditEvent(lead_id=1, actor="bob", at=utcnow(), action="edit"))
        await press(app, pilot, "a")
        assert seeded.get(1).stage is Stage.MQL and seeded.get(1).version == 2
        assert any("changed by bob" in str(n.message) for n in app._notifications)
        assert (queue.current.id, queue.current.version) == (1, 2)  # read again, still highlighted
        assert "+49 30 555" in detail_text(app)  # the detail followed the refresh
        await press(app, pilot, "a")
        assert seeded.get(1).stage is Stage.SAL


async def test_mine_and_pool_toggle(seeded):
    lead_two = seeded.get(2)
    seeded.change(lead_two, {"owner": "anna"}, AuditEvent(lead_id=2, actor="lead", at=utcnow(), action="assign"))
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert app.queue_screen.view is QueueView.MINE and [row.id for row in queue.rows] == [2]
        assert queue.border_title == "My MQLs"
        await press(app, pilot, "m")
        assert app.queue_screen.view is QueueView.POOL and [row.id for row in queue.rows] == [1, 3, 4]


async def test_help_lists_every_binding(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        for binding in [*QueueScreen.BINDINGS, *TriageApp.BINDINGS, *LeadQueue.BINDINGS]:
            assert binding.description in listed.values()
        dialog = dict(app.screen.dialog_keys)
        for binding in ReturnDialog.BINDINGS:
            if binding.action in ("cancel", "submit"):
                assert binding.description in dialog.values()
        assert dialog["1 … 8"] == "Choose the reason with the digit beside it"
        assert dialog["n / d"] == "Choose the path: nurture or disqualify"
        help_text = screen_text(app)
        assert "Accept" in help_text and "Last lead" in help_text and "In the return dialog" in help_text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def run_command(app, pilot, words, expected):
    """Open the palette, type `words`, wait for the `expected` command to be offered, run it."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*words)
    for _ in range(50):
        await pilot.pause(0.02)
        options = app.screen.query_one(CommandList)
        if options.option_count and expected in str(options.get_option_at_index(0).prompt):
            break
    else:
        raise AssertionError(f"the palette does not offer {expected!r}")
    await pilot.press("enter")


async def test_command_palette_offers_the_triage_actions(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_command(app, pilot, "accept", "Accept (a)")
        await settle(app, pilot)
        assert seeded.get(1).stage is Stage.SAL
        await run_command(app, pilot, "last lead", "Last lead")
        await settle(app, pilot)
        assert app.query_one(LeadQueue).current.last_name == "Jansen"


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
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(230, 40)) as pilot:
        await settle(app, pilot)
        lines = "\n".join(queue_lines(app))
        for shown in ("[bold]x[/]", "[/]", "[@click=app.quit]click me[/]", "[link=file:///etc/passwd]link[/link]",
                      "wipe\u241b[2Jscreen", "title\u241b]0;owned\u2407bell"):
            assert shown in lines
        for _ in HOSTILE:
            await press(app, pilot, "down")
            shown = detail_text(app)
            assert "\x1b" not in shown and "\x07" not in shown
        assert "title\u241b]0;owned\u2407bell" in detail_text(app)
        raw = app.export_screenshot().lower()
        for control in ("\x1b", "\x07", "&#27;", "&#x1b;", "&#7;", "&#x7;"):
            assert control not in raw
        shown = screen_text(app)
        assert "[@click=app.quit]click me[/]" in shown and "wipe\u241b[2Jscreen" in shown
        await pilot.click(LeadQueue, offset=(10, 3))
        await press(app, pilot, "a")
        assert app.is_running


async def workers_done(app, pilot):
    """Page fetches only: no need to wait for the detail panel's resting-cursor delay."""
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_queue_pages_through_many_leads_holding_only_a_buffer(repo):
    total = 500
    repo.add_leads([lead(i) for i in range(total)])
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert queue.row_count <= BUFFER_ROWS
        visible = queue.size.height - 1
        seen = set()
        for step in range(1, 16):
            await pilot.press("pagedown")
            await workers_done(app, pilot)
            seen.add(queue.current.id)
            assert queue.current.id == min(1 + step * visible, total)  # ids follow the queue order here
            assert queue.row_count <= BUFFER_ROWS
        assert max(seen) > BUFFER_ROWS  # got past the first buffer by fetching pages
        await pilot.press("end")
        await workers_done(app, pilot)
        assert queue.current.id == total and queue.row_count <= BUFFER_ROWS
        assert f"Lead{total - 1:04d}" in queue_lines(app)[-1]  # the last lead on the bottom line
        for _ in range(5):
            await pilot.press("pageup")
            await workers_done(app, pilot)
        assert queue.current.id == total - 5 * visible
        await press(app, pilot, "home")
        assert queue.current.id == 1 and queue.row_count <= BUFFER_ROWS
        assert "Rep0 Lead0000" in queue_lines(app)[1]
        assert queue.border_subtitle == f"{total:,} MQLs"
        await pilot.press("down", "down", "up")
        assert queue.current.id == 2


async def test_mouse_click_selects_and_the_wheel_moves(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        await pilot.click(LeadQueue, offset=(5, 4))  # border, header, then the third lead
        await settle(app, pilot)
        assert queue.current.last_name == "Schmidt"
        assert "Clara Schmidt" in detail_text(app)
        queue.post_message(events.MouseScrollUp(queue, 5, 4, 0, -1, 0, False, False, False))
        await pilot.pause()
        assert queue.current.id == 1  # three leads up, held at the top
        queue.post_message(events.MouseScrollDown(queue, 5, 4, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert queue.current.id == 4


async def test_a_login_with_markup_is_shown_literally(seeded):
    """The login is shown in the header as the rep typed it: markup as text, a control
    character as its visible symbol, never sent raw to the terminal."""
    app = TriageApp(Services.open(seeded, "[bold]x[/] [@click=app.quit]y[/] \x1b[31mred"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        header = terminal_lines(app)[0]
        assert "signed in as [bold]x[/] [@click=app.quit]y[/] \u241b[31mred" in header, header
        assert "\x1b" not in app.export_screenshot() and "&#27;" not in app.export_screenshot()
        await pilot.click("HeaderTitle")
        await settle(app, pilot)
        assert app.is_running


async def test_switching_to_an_empty_queue_clears_the_detail(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.queue_screen.view is QueueView.POOL and "Anna Müller" in detail_text(app)
        await press(app, pilot, "m")
        assert app.queue_screen.view is QueueView.MINE and "Anna Müller" not in detail_text(app)
        assert "No lead selected" in detail_text(app)


async def test_the_queue_notices_leads_another_rep_took(seeded):
    app = TriageApp(Services.open(seeded, "anna"), poll_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert [row.id for row in queue.rows] == [1, 2, 3, 4]
        await until(pilot, lambda: app.queue_screen._marker is not None, "the app knows where the leads stand")
        Services.open(seeded, "bob").decisions.accept(2)  # at another terminal
        await until(pilot, lambda: [row.id for row in queue.rows] == [1, 3, 4], "the queue read again")
        await settle(app, pilot)
        assert [row.id for row in queue.rows] == [1, 3, 4] and queue.border_subtitle == "3 MQLs"


async def test_take_gives_the_rep_the_next_pool_lead_and_shows_their_queue(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.queue_screen.view is QueueView.POOL
        await press(app, pilot, "t")
        assert seeded.get(1).owner == "anna" and app.queue_screen.view is QueueView.MINE
        assert [row.id for row in app.query_one(LeadQueue).rows] == [1]
        assert any("Took Anna Müller (#1)" in str(n.message) for n in app._notifications)


async def test_a_queue_over_the_count_cap_shows_the_cap_and_a_plus(seeded, monkeypatch):
    """The border counts at most `COUNT_AT_MOST` leads: a million are never counted exactly."""
    import screens.queue_screen as queue_screen

    monkeypatch.setattr(queue_screen, "COUNT_AT_MOST", 3)
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert queue.border_subtitle == "3+ MQLs" and queue.row_count == 4
        await pilot.press("slash", *"schmidt", "enter")
        await settle(app, pilot)
        assert queue.border_subtitle == "1 lead matches"


async def test_the_footer_is_rebuilt_only_when_its_keys_change(seeded):
    """A reload of the queue (which refreshes the bindings) keeps the Footer's keys."""
    from textual.widgets._footer import FooterKey

    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        keys = list(app.screen.query(FooterKey))
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert len(keys) > 4 and list(app.screen.query(FooterKey)) == keys


async def test_the_footer_is_built_once_with_the_queue_s_keys_at_the_start(seeded, monkeypatch):
    """Started as the CLI starts it (the opening read before), the queue has the focus from
    the start (not the filter, then the queue), and the two bindings signals of the start
    ask for one rebuild between them: the Footer is composed at mount (no keys yet) and
    once more with the queue's keys, accept enabled, not three or four times."""
    from textual.widgets._footer import FooterKey

    from screens.steady_footer import SteadyFooter

    composed = []
    compose = SteadyFooter.compose

    def counted(footer):
        composed.append(footer._bindings_ready and dict((key, enabled) for key, _, _, _, enabled, _ in footer._shown()))
        return compose(footer)

    monkeypatch.setattr(SteadyFooter, "compose", counted)
    service = Services.open(seeded, "anna")
    app = TriageApp(service, opening=service.decisions.opening(service.team.sla_clock()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(composed) == 2 and composed[0] is False and composed[1]["a"] is True
        assert isinstance(app.focused, LeadQueue)
        assert {key.key for key in app.screen.query(FooterKey)} >= {"a", "r", "u"}


async def test_the_first_frame_is_drawn_once_the_app_has_mounted_and_whole(seeded, monkeypatch):
    """Textual renders a frame while the app is still mounting and drops it unseen; the
    queue screen draws none until then, and its first frame is the whole screen."""
    from textual._compositor import Compositor, LayoutUpdate

    service = Services.open(seeded, "anna")
    app = TriageApp(service, opening=service.decisions.opening(service.team.sla_clock()))
    frames = []
    render_update = Compositor.render_update

    def recorded(compositor, *args, **kwargs):
        update = render_update(compositor, *args, **kwargs)
        frames.append((app._batch_count, type(update)))
        return update

    monkeypatch.setattr(Compositor, "render_update", recorded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert frames and all(batch == 0 for batch, _ in frames)
        assert frames[0][1] is LayoutUpdate
        assert "Anna Müller" in screen_text(app) and "4 MQLs" in screen_text(app)


async def test_the_lead_panel_shows_a_fresh_page_s_lead_at_once_and_follows_keys_once_they_pause(seeded):
    """A page that came (the start, another view) has its lead shown without the pause the
    panel waits for between keys, so the first screen is whole sooner."""
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.queue_screen
        assert "Anna Müller" in detail_text(app) and screen._detail_timer is None
        await pilot.press("down")
        assert screen._detail_timer is not None
        await settle(app, pilot)
        assert "Bram de Vries" in detail_text(app)


@pytest.mark.parametrize("own_lead", [True, False], ids=["mine", "pool"])
async def test_the_start_reads_the_first_page_of_the_view_it_chose_once(seeded, own_lead):
    if own_lead:
        seeded.change(seeded.get(2), {"owner": "anna"}, AuditEvent(lead_id=2, actor="lead", at=utcnow(), action="assign"))
    service = Services.open(seeded, "anna")
    reads = []
    read_page = service.decisions.queue_page

    def counted_read(view, *args, **kwargs):
        reads.append(view)
        return read_page(view, *args, **kwargs)

    service.decisions.queue_page = counted_read
    app = TriageApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        if own_lead:
            assert reads == [QueueView.MINE] and [row.id for row in queue.rows] == [2]
        else:
            assert reads == [QueueView.MINE, QueueView.POOL] and [row.id for row in queue.rows] == [1, 2, 3, 4]
        assert queue.border_subtitle == ("1 MQL" if own_lead else "4 MQLs")


@pytest.mark.parametrize("own_lead", [True, False], ids=["mine", "pool"])
def test_the_opening_is_the_rep_s_own_queue_else_the_pool_with_its_count_and_first_lead(seeded, own_lead):
    if own_lead:
        seeded.change(seeded.get(2), {"owner": "anna"}, AuditEvent(lead_id=2, actor="lead", at=utcnow(), action="assign"))
    service = Services.open(seeded, "anna")
    opening = service.decisions.opening(service.team.sla_clock())
    first = 2 if own_lead else 1
    assert opening.view is (QueueView.MINE if own_lead else QueueView.POOL)
    assert [row.id for row in opening.page.rows] == ([2] if own_lead else [1, 2, 3, 4])
    assert opening.count == (1 if own_lead else 4)
    panel = opening.panel
    assert panel.lead.id == first and panel.lead.owner == ("anna" if own_lead else None)
    assert [event.action for event in panel.history] == (["assign"] if own_lead else [])
    assert {item.question for item in panel.checklist} >= {"complete", "serious", "creditworthy"}
    assert panel.sla.due == service.team.sla_clock().add(panel.lead.handed_over_at, 48)  # the MQL clock


def test_the_opening_counts_up_to_its_cap_past_its_first_page(seeded):
    service = Services.open(seeded, "anna")
    opening = service.decisions.opening(service.team.sla_clock(), limit=2, count_at_most=2)
    assert [row.id for row in opening.page.rows] == [1, 2] and opening.page.more
    assert opening.count == 3  # "2+": one past the cap


def test_an_empty_database_opens_on_the_empty_pool(repo):
    service = Services.open(repo, "anna")
    opening = service.decisions.opening(service.team.sla_clock())
    assert (opening.view, opening.page.rows, opening.count, opening.panel) == (QueueView.POOL, [], 0, None)


async def test_an_opening_read_before_the_start_is_drawn_as_it_was_read(seeded):
    """The CLI reads the opening before Textual starts; the screen shows its page, count
    and lead panel at mount and reads none of them again. The next lead is read as usual."""
    from dataclasses import replace

    service = Services.open(seeded, "anna")
    opening = service.decisions.opening(service.team.sla_clock())
    read_ahead = opening.panel.lead.model_copy(update={"company": "Read Ahead GmbH"})
    opening = replace(opening, count=7, panel=replace(opening.panel, lead=read_ahead))
    reads = []
    for name in ("queue_page", "queue_count", "lead_panel"):
        def counted(*args, _read=getattr(service.decisions, name), _name=name, **kwargs):
            reads.append(_name)
            return _read(*args, **kwargs)

        setattr(service.decisions, name, counted)
    app = TriageApp(service, opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        assert "Read Ahead GmbH" in detail_text(app) and "Lead #1" in screen_text(app)
        assert queue.border_subtitle == "7 MQLs" and [row.id for row in queue.rows] == [1, 2, 3, 4]
        assert reads == []
        await press(app, pilot, "down")
        assert "Bram de Vries" in detail_text(app) and reads == ["lead_panel"]


def test_the_cli_reads_the_opening_and_leaves_a_failed_read_to_the_screen(seeded, monkeypatch):
    from triage.cli.main import read_opening
    from triage.domain.errors import DatabaseError

    service = Services.open(seeded, "anna")
    opening = read_opening(service)
    assert opening.view is QueueView.POOL and opening.panel.lead.id == 1 and opening.count == 4

    def broken(*args, **kwargs):
        raise DatabaseError("the database is locked")

    monkeypatch.setattr(service.decisions, "opening", broken)
    assert read_opening(service) is None


async def test_the_app_hands_the_gil_to_its_workers_often_while_it_runs_and_not_after(seeded):
    """A worker's read gives the GIL back at every row; the screen's thread lets it take
    the GIL again within half a millisecond, not Python's 5 ms, while the app runs."""
    import sys

    before = sys.getswitchinterval()
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert sys.getswitchinterval() == pytest.approx(TriageApp.SWITCH_INTERVAL) and TriageApp.SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == pytest.approx(before)
