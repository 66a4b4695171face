"""The main screen and its dialogs as a rep works them at 80x24 and 128x34: the Footer,
the return dialog, undo, focus, help. Keys through the Pilot; what is on screen read
from the rendered lines."""

import pytest
from textual import events
from textual.color import Color
from textual.widgets import Input

from screens.app import TriageApp
from screens.queue_screen import QueueScreen
from screens.help_screen import HelpScreen
from screens.lead_detail import LeadDetail
from screens.lead_queue import LeadQueue
from screens.return_dialog import ReturnDialog
from triage.domain.models import ReturnDecision, Stage
from triage.services import Services

from test_app import lead, press, repo, run_command, seeded, settle  # noqa: F401 (fixtures)

SIZES = [(80, 24), (128, 34)]


def lines(app) -> list[str]:
    """The terminal's lines as the compositor draws them: only what is on screen."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def footer(app) -> str:
    return lines(app)[-1]


def on_screen(app, text: str) -> bool:
    return any(text in line for line in lines(app))


def messages(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


@pytest.fixture
def many(repo):
    repo.add_leads([lead(i) for i in range(30)])
    return repo


@pytest.mark.parametrize("size", SIZES)
async def test_the_footer_keeps_help_and_quit_in_view(many, size):
    app = TriageApp(Services.open(many, "anna"))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        shown = footer(app)
        for key in ("a Accept", "r Return", "u Undo", "/ Filter", "m Mine/pool", "? Help", "q Quit"):
            assert key in shown, shown
        assert "," not in shown  # one key per shown binding: never "^r,f5"
        await press(app, pilot, "slash")  # while typing, ? and q are letters: f1 and ^q are shown
        shown = footer(app)
        assert "F1 Help" in shown and "^q Quit" in shown and "esc Clear filter" in shown, shown
        await press(app, pilot, *"q?")
        assert app.is_running and app.query_one("#filter", Input).value == "q?"
        await press(app, pilot, "f1")
        assert isinstance(app.screen, HelpScreen)


async def test_refresh_has_two_keys_and_every_hidden_key_still_works(many):
    app = TriageApp(Services.open(many, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        many.add_leads([lead(100, first_name="Zoe", last_name="Late", interest="demo_request")])
        await press(app, pilot, "f5")
        assert app.query_one(LeadQueue).rows[0].first_name == "Zoe"
        await press(app, pilot, "ctrl+r")
        assert app.query_one(LeadQueue).rows[0].first_name == "Zoe"
        await press(app, pilot, "t")  # not in the Footer, still a key
        assert many.get(31).owner == "anna"


@pytest.mark.parametrize("size", SIZES)
async def test_the_return_dialog_shows_every_field_and_its_error_on_screen(many, size):
    app = TriageApp(Services.open(many, "anna"))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "r")
        assert isinstance(app.screen, ReturnDialog)
        for text in ("Reason (press 1-8): not ready to buy / stopped responding",
                     "1 not ready to buy / stopped responding", "8 other (needs a note)", "Path (press n or d): nurture",
                     "n nurture: back to marketing", "d disqualify: will never", "Note", "Return lead", "Cancel",
                     "esc Cancel"):
            assert on_screen(app, text), text
        await press(app, pilot, "8", "n", "enter")  # other, nurture, no note
        assert isinstance(app.screen, ReturnDialog)
        assert on_screen(app, "Reason (press 1-8): other (needs a note)")
        assert on_screen(app, "reason 'other' needs a note saying why")
        assert app.focused is app.screen.query_one("#return-note")
        await press(app, pilot, "3")  # types into the note: digits pick reasons only in the lists
        assert app.screen.query_one("#return-note", Input).value == "3"
        await press(app, pilot, "tab", *"31.03.2027", "enter")  # a date, but reason other
        assert on_screen(app, "a date only goes with reason 3, bound by a contract")
        assert app.focused is app.screen.query_one("#return-until") and many.get(1).stage is Stage.MQL
        app.screen.query_one("#return-until", Input).value = ""
        await press(app, pilot, "shift+tab", "shift+tab", "shift+tab", "3")  # back to the reasons: contract
        await press(app, pilot, "tab", "tab", *"31.02.2027", "enter")  # after the note: the date
        assert isinstance(app.screen, ReturnDialog)
        assert on_screen(app, "'31.02.2027' is not a day of the calendar")
        assert on_screen(app, "Return lead") and on_screen(app, "Note")
        assert app.screen.query_one("#return-note", Input).value == "3"  # kept as typed
        assert app.screen.query_one("#return-until", Input).value == "31.02.2027"
        assert many.get(1).stage is Stage.MQL


@pytest.mark.parametrize("typed", ["31.03.2027", "31-3-27", "2027-03-31"])
async def test_the_contract_end_as_people_type_it(seeded, typed):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "r", "3", "d", "tab", *typed, "enter")
        assert not isinstance(app.screen, ReturnDialog)
        [event] = seeded.history(1)
        assert (event.reason, event.path, event.note) == ("contract", "disqualify", "contract until 2027-03-31")


async def test_one_key_picks_the_reason_and_one_the_path(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "r", "2", "d", *"budget frozen", "enter")
        assert not isinstance(app.screen, ReturnDialog)
        [event] = seeded.history(1)
        assert (event.reason, event.path, event.note) == ("no_fit", "disqualify", "budget frozen")
        assert seeded.get(1).stage is Stage.DISQUALIFIED


@pytest.mark.parametrize("size", SIZES)
async def test_u_undoes_the_last_accept_and_the_lead_is_back_at_the_cursor(seeded, size):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        queue = app.query_one(LeadQueue)
        await press(app, pilot, "a")
        assert seeded.get(1).stage is Stage.SAL and queue.current.id == 2
        await press(app, pilot, "u")
        restored = seeded.get(1)
        assert (restored.stage, restored.owner) == (Stage.MQL, None)
        assert [event.action for event in seeded.history(1)] == ["accept", "undo"]
        assert queue.current.id == 1 and queue.border_subtitle == "4 MQLs"
        assert any("Undid your accept of Anna Müller (#1): back to MQL, in the unassigned pool" in m
                   for m in messages(app)), messages(app)
        await press(app, pilot, "u")
        assert any("nothing to undo: your last decision is undone already" in m for m in messages(app))
        assert [event.action for event in seeded.history(1)] == ["accept", "undo"]


async def test_u_undoes_a_return_and_is_refused_once_someone_else_changed_the_lead(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "r", "1", "n", "enter")
        assert seeded.get(1).stage is Stage.RETURNED
        await press(app, pilot, "u")
        assert (seeded.get(1).stage, seeded.get(1).owner) == (Stage.MQL, None)
        await press(app, pilot, "a")
        Services.open(seeded, "bob").decisions.return_lead(1, ReturnDecision(reason="capacity", path="nurture"))
        await press(app, pilot, "u")
        assert seeded.get(1).stage is Stage.RETURNED  # bob's return stands
        assert any("cannot undo your accept of lead 1 (MQL → SAL): bob changed lead 1 since" in m
                   for m in messages(app)), messages(app)


async def test_undo_in_the_palette_and_in_help(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a")
        await run_command(app, pilot, "undo", "Undo (u)")
        await settle(app, pilot)
        assert seeded.get(1).stage is Stage.MQL
        await press(app, pilot, "question_mark")
        assert dict(app.screen.keys)["u"] == "Undo"


def border_colour(widget) -> Color:
    return widget.styles.border_top[1]


async def test_focus_shows_and_the_queue_keys_work_from_the_lead_panel(many):
    app = TriageApp(Services.open(many, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        queue, detail = app.query_one(LeadQueue), app.query_one(LeadDetail)
        accent = Color.parse(app.theme_variables["accent"])
        assert app.focused is queue and border_colour(queue) == accent and border_colour(detail) != accent
        await press(app, pilot, "tab")
        assert app.focused is detail
        assert border_colour(detail) == accent and border_colour(queue) != accent
        assert on_screen(app, "j k move queue")
        await press(app, pilot, "j", "j")
        assert queue.current.id == 3 and "Rep2 Lead0002" in detail.query_one("#lead-detail-body").render().plain
        await press(app, pilot, "k")
        assert queue.current.id == 2
        await press(app, pilot, "G")
        assert queue.current.id == 30
        await press(app, pilot, "g")
        assert queue.current.id == 1
        await press(app, pilot, "a")  # the decisions work from here too
        assert many.get(1).stage is Stage.SAL
        await press(app, pilot, "slash", *"jkgG")  # letters type into the filter, move nothing
        assert app.query_one("#filter", Input).value == "jkgG" and many.get(2).stage is Stage.MQL
        assert border_colour(app.query_one("#filter")) == accent


async def test_help_at_80x24_lists_every_key_and_scrolls(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        for binding in [*QueueScreen.BINDINGS, *TriageApp.BINDINGS, *LeadQueue.BINDINGS]:
            assert binding.description in listed.values()
        assert listed["^r / F5"] == "Refresh" and listed["u"] == "Undo"
        box = app.screen.query_one("#help-box")
        assert box.max_scroll_y > 0 and on_screen(app, "Accept") and not on_screen(app, "Escape closes this help")
        await press(app, pilot, "end")
        assert box.scroll_y == box.max_scroll_y and on_screen(app, "Escape closes this help")
        assert on_screen(app, "Choose the reason with the digit beside it")


async def test_one_lead_is_one_mql(repo):
    repo.add_leads([lead(0, first_name="Anna", last_name="Müller")])
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.query_one(LeadQueue).border_subtitle == "1 MQL"
        await press(app, pilot, "slash", *"müller")
        assert app.query_one(LeadQueue).border_subtitle == "1 lead matches"


async def test_the_checklist_dialog_shows_questions_and_answers_at_80x24(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c", "enter")  # the channel's answers
        for text in ("channel", "grade", "Answer", "as the data says", "web form", "email", "event", "F1 Help"):
            assert on_screen(app, text), text
        await press(app, pilot, "down", "enter")  # web form
        assert seeded.get(1).overrides == {"channel": "web_form"}


SPECIAL = {"/": "slash", ".": "full_stop", "-": "minus", " ": "space"}


async def burst(app, pilot, *keys):
    """Keys as a fast typist or `tmux send-keys` sends them: all at once, none waiting for
    the one before to be handled. A key name (tab, enter, escape) or a text to type."""
    for key in keys:
        if key in ("tab", "enter", "escape"):
            app.post_message(events.Key(key, {"tab": "\t", "enter": "\r", "escape": "\x1b"}[key]))
        else:
            for character in key:
                app.post_message(events.Key(SPECIAL.get(character, character), character))
    await settle(app, pilot)


async def test_a_name_typed_at_once_after_slash_goes_into_the_filter(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "/jansen")  # a, n, s are keys of the queue: none may fire
        assert app.query_one("#filter", Input).value == "jansen"
        assert all(seeded.get(i).stage is Stage.MQL for i in range(1, 5))
        assert [row.last_name for row in app.query_one(LeadQueue).rows] == ["Jansen"]


async def test_enter_then_a_at_once_never_decides_a_lead_the_rep_has_not_seen(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "/", "schmidt", "enter", "a")
        assert app.query_one("#filter", Input).value == "schmidt"
        assert all(seeded.get(i).stage is Stage.MQL for i in range(1, 5))  # not Anna Müller, first before
        assert any("The queue is being read: press a again" in m for m in messages(app)), messages(app)
        await press(app, pilot, "a")
        assert seeded.get(3).stage is Stage.SAL


async def test_a_return_typed_at_once_lands_in_its_fields(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "r", "8", "n", "spam", "enter")
        assert not isinstance(app.screen, ReturnDialog)
        [event] = seeded.history(1)
        assert (event.reason, event.path, event.note) == ("other", "nurture", "spam")
        await burst(app, pilot, "r", "3", "d", "tab", "31.3.27", "enter")
        [event] = seeded.history(2)
        assert (event.reason, event.path, event.note) == ("contract", "disqualify", "contract until 2027-03-31")
        await burst(app, pilot, "r", "3", "d", "tab", "31.3.2o27", "enter")  # a typo: nothing lost
        assert isinstance(app.screen, ReturnDialog)
        assert app.screen.query_one("#return-until", Input).value == "31.3.2o27"
        assert app.screen.query_one("#return-note", Input).value == ""
        assert on_screen(app, "'31.3.2o27' is not a day")


async def test_queue_keys_typed_at_once_in_the_lead_panel_move_before_the_decision(seeded):
    app = TriageApp(Services.open(seeded, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "tab", "j", "j", "a")
        assert seeded.get(3).stage is Stage.SAL
        assert [seeded.get(i).stage for i in (1, 2, 4)] == [Stage.MQL] * 3


@pytest.mark.parametrize("data, shown", [
    (dict(job_title="Einkaufsleiter", company="Acme GmbH"), "Einkaufsleiter at Acme GmbH"),
    (dict(job_title="", company="Acme GmbH"), "Acme GmbH  (no job title)"),
    (dict(job_title="Einkaufsleiter", company=""), "Einkaufsleiter  (no company)"),
    (dict(job_title="", company=""), "no job title, no company"),
])
async def test_the_lead_panel_says_job_and_company_in_words(repo, data, shown):
    repo.add_leads([lead(0, **data)])
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(128, 34)) as pilot:
        await settle(app, pilot)
        body = app.query_one(LeadDetail).query_one("#lead-detail-body").render().plain
        assert shown in body and "no job title at" not in body
