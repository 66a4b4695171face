"""Control characters in user data never reach a terminal."""

from triage.domain.checklist import Verdict, checklist, missing_fields, seriousness_signals
from triage.domain.models import LeadData
from triage.domain.scoring import score
from triage.domain.text import one_line, printable


def test_escape_sequences_become_visible_symbols():
    shown = printable("a\x1b[2Jb\x1b]0;title\x07c\x9bd\x7f")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown and "\x7f" not in shown
    assert shown == "a\u241b[2Jb\u241b]0;title\u2407c\ufffdd\u2421"


def test_markup_is_left_alone_as_text():
    assert printable("[bold]x[/] [@click=app.quit]y[/]") == "[bold]x[/] [@click=app.quit]y[/]"


def test_one_line_flattens_line_breaks():
    assert one_line("a\r\nb\nc\td") == "a b c d"
    assert printable(None) == ""


def test_completeness_lists_missing_agreed_fields():
    lead = LeadData(first_name="Anna", last_name="Müller", email="anna@acme.de", company="Acme")
    assert missing_fields(lead) == ["salutation", "phone", "job_title"]
    item = next(i for i in checklist(lead) if i.question == "complete")
    assert item.verdict is Verdict.WARN and "phone" in item.answer


def test_webmail_is_a_warning_not_a_rejection():
    lead = LeadData(email="anna@gmx.de")
    assert seriousness_signals(lead) == ["webmail address (gmx.de)"]
    item = next(i for i in checklist(lead) if i.question == "serious")
    assert item.verdict is Verdict.WARN


def test_score_stays_in_range_and_rewards_handraisers():
    hot = LeadData(interest="demo_request", emails_clicked=50, pages_visited=50, forms_filled=9, creditworthiness="A")
    cold = LeadData(interest="inquiry", email="x@gmail.com", notes="Bewerbung", creditworthiness="D")
    assert 0 <= score(cold) < score(hot) <= 100


def test_counted_says_one_lead_and_many_leads():
    from triage.domain.text import counted

    assert counted(1, "MQL") == "1 MQL"
    assert counted(0, "MQL") == "0 MQLs"
    assert counted(1204, "lead") == "1,204 leads"
    assert counted(2, "person", "people") == "2 people"
