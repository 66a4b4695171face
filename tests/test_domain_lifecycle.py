"""The lifecycle state machine, return decisions and lead validation: plain Python."""

import itertools
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from triage.domain import lifecycle
from triage.domain.errors import IllegalMove
from triage.domain.models import LeadData, ReturnDecision, ReturnPath, ReturnReason, Stage

LEGAL = {
    (Stage.NEW, Stage.MQL), (Stage.NEW, Stage.DISQUALIFIED),
    (Stage.MQL, Stage.SAL), (Stage.MQL, Stage.RETURNED), (Stage.MQL, Stage.DISQUALIFIED),
    (Stage.SAL, Stage.SQL), (Stage.SAL, Stage.RETURNED), (Stage.SAL, Stage.DISQUALIFIED),
    (Stage.SQL, Stage.OPPORTUNITY), (Stage.SQL, Stage.RETURNED), (Stage.SQL, Stage.DISQUALIFIED),
    (Stage.OPPORTUNITY, Stage.CUSTOMER), (Stage.OPPORTUNITY, Stage.RETURNED),
    (Stage.OPPORTUNITY, Stage.DISQUALIFIED),
    (Stage.CUSTOMER, Stage.RETURNED),
    (Stage.RETURNED, Stage.MQL), (Stage.RETURNED, Stage.DISQUALIFIED),
    (Stage.DISQUALIFIED, Stage.MQL),  # only by the review board's overturn
}


@pytest.mark.parametrize("move", sorted(LEGAL))
def test_legal_moves_pass(move):
    lifecycle.check_move(*move)
    assert lifecycle.can_move(*move)


@pytest.mark.parametrize(
    "move", [m for m in itertools.product(Stage, Stage) if m not in LEGAL], ids=lambda m: f"{m[0]}-{m[1]}"
)
def test_illegal_moves_are_refused_naming_both_stages(move):
    with pytest.raises(IllegalMove) as caught:
        lifecycle.check_move(*move)
    message = str(caught.value)
    if move[1] is Stage.SAL:
        # Accepting, said as sales says it: where the lead is, and that it is (not) accepted.
        assert "accept" in message and (move[0] is Stage.SAL or move[0].label in message)
        assert ("already accepted" in message) == (move[0] in ACCEPTED), message
    elif move[0] is move[1]:
        assert message.startswith("the lead is already ") and move[0].label in message
    else:
        assert move[0].label in message and move[1].label in message
    assert "from SAL to SAL" not in message
    assert not lifecycle.can_move(*move)


ACCEPTED = (Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)


def test_a_refusal_names_the_lead_and_who_put_it_where_it_is():
    at = datetime(2027, 3, 31, 9, 30, tzinfo=timezone.utc)
    with pytest.raises(IllegalMove) as caught:
        lifecycle.check_move(Stage.SAL, Stage.SAL, lead_id=7, by="carl", at=at)
    assert str(caught.value) == f"lead 7 is already accepted by carl on {at.astimezone():%Y-%m-%d %H:%M}"
    assert (caught.value.lead_id, caught.value.by, caught.value.at) == (7, "carl", at)
    with pytest.raises(IllegalMove, match="^lead 8 is already accepted; it is SQL now$"):
        lifecycle.check_move(Stage.SQL, Stage.SAL, lead_id=8)
    with pytest.raises(IllegalMove, match=r"^lead 9 is already returned \(SRL\) by bob$"):
        lifecycle.check_move(Stage.RETURNED, Stage.RETURNED, lead_id=9, by="bob")


README = Path(__file__).resolve().parent.parent / "README.md"


def _documented(heading: str) -> str:
    """The README's sentence that starts with `heading` ("Stages:"), as one line."""
    text = README.read_text(encoding="utf-8")
    assert heading in text, f"the README no longer says {heading!r}"
    return re.split(r"\.\s", " ".join(text.split(heading, 1)[1].split()), maxsplit=1)[0]


def test_stage_codes_are_the_documented_ones():
    """The codes the README's command line section lists, in its order, are the stages."""
    assert re.findall(r"`(\w+)`", _documented("Stages:")) == [stage.value for stage in Stage]


def test_disqualified_is_final_but_for_an_overturn_and_returned_can_be_recycled():
    assert lifecycle.MOVES[Stage.DISQUALIFIED] == frozenset({Stage.MQL})
    assert lifecycle.can_move(Stage.RETURNED, Stage.MQL)


@pytest.mark.parametrize("path, stage", [("nurture", Stage.RETURNED), ("disqualify", Stage.DISQUALIFIED)])
def test_return_path_decides_the_stage(path, stage):
    assert ReturnPath(path).stage is stage


def _documented_reasons() -> dict[str, str]:
    """The README's return reasons: code -> what it says in brackets ("" when nothing)."""
    return {code: said for code, said in re.findall(r"`(\w+)`(?: \(([^)]*)\))?", _documented("Return reasons:"))}


def test_the_return_reasons_are_the_documented_ones():
    assert list(_documented_reasons()) == [reason.value for reason in ReturnReason]


@pytest.mark.parametrize("reason", [r for r in ReturnReason if r is not ReturnReason.OTHER])
def test_every_reason_but_other_needs_no_note(reason):
    """Neither the README nor the reason's own label asks for a note, and a return with a
    blank note is taken, on either path."""
    assert "note" not in _documented_reasons()[reason.value] and "note" not in reason.label
    assert "note" in _documented_reasons()["other"] and "needs a note" in ReturnReason.OTHER.label
    for path in ReturnPath:
        decision = ReturnDecision(reason=reason, path=path, note="   ")
        assert (decision.reason, decision.path, decision.note) == (reason, path, "")


def test_reason_other_needs_a_note():
    with pytest.raises(ValidationError, match="needs a note"):
        ReturnDecision(reason="other", path="disqualify", note="   ")
    assert ReturnDecision(reason="other", path="disqualify", note=" spam ").note == "spam"


def test_contract_until_only_with_reason_contract():
    decision = ReturnDecision(reason="contract", path="nurture", contract_until=date(2027, 6, 30))
    assert decision.contract_until == date(2027, 6, 30)
    with pytest.raises(ValidationError, match="only goes with reason 'contract'"):
        ReturnDecision(reason="no_fit", path="nurture", contract_until=date(2027, 6, 30))


def test_unknown_reason_and_path_are_refused():
    with pytest.raises(ValidationError):
        ReturnDecision(reason="bored", path="nurture")
    with pytest.raises(ValidationError):
        ReturnDecision(reason="no_fit", path="bin")


def test_bad_email_names_the_field_and_why():
    with pytest.raises(ValidationError) as caught:
        LeadData(email="anna.example.com")
    error = caught.value.errors()[0]
    assert error["loc"] == ("email",)
    assert "not an email address" in error["msg"]


def test_country_and_counts_are_checked():
    assert LeadData(country="de").country == "DE"
    with pytest.raises(ValidationError, match="country"):
        LeadData(country="Germany")
    with pytest.raises(ValidationError, match="emails_opened"):
        LeadData(emails_opened=-1)


def test_handraiser_is_a_demo_request():
    assert LeadData(interest="demo_request").is_handraiser
    assert not LeadData(interest="quote_request").is_handraiser


def test_domain_imports_neither_textual_nor_peewee():
    code = (
        "import sys, triage.domain.models, triage.domain.lifecycle, triage.services, triage.domain.checklist, "
        "triage.domain.scoring, triage.domain.text, triage.domain.errors\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'peewee', 'playhouse')]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
