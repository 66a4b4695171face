"""After a proposal is adopted, the report proposes nothing new from the same decisions."""

from pathlib import Path

from test_scoring import synthetic_decisions

from triage.domain.calibration import calibrate
from triage.domain.rules import default_rules, parse_rules, rules_to_toml


def adopted(rules):
    """The rules as an adoption stores them and reads them back: as TOML text."""
    return parse_rules(rules_to_toml(rules), "rules #1 in the database")


def test_right_after_adopting_the_report_does_not_propose_the_rules_in_force(tmp_path: Path):
    decisions = synthetic_decisions(600, seed=3)
    first = calibrate(decisions, default_rules())
    assert first.proposal is not None and first.auc_proposed > first.auc_current
    again = calibrate(decisions, adopted(first.proposal))
    assert again.proposal is None and again.base_proposed is None
    assert "nothing new to propose" in again.message
    assert again.auc_current == first.auc_proposed  # the ranking of the rules in force is still shown
    assert any(f"current {first.auc_proposed:.3f}." in line for line in again.summary())
    assert all(figures.proposed_points is None for figures in again.features)


def test_more_decisions_after_adopting_can_propose_again(tmp_path: Path):
    first = calibrate(synthetic_decisions(600, seed=3), default_rules())
    later = calibrate(synthetic_decisions(900, seed=11), adopted(first.proposal))
    assert later.proposal is not None and later.proposal.points != adopted(first.proposal).points


def test_a_proposal_that_ranks_worse_says_so():
    report = calibrate(synthetic_decisions(600, seed=3), default_rules())
    report.auc_current, report.auc_proposed = 0.799, 0.684  # the figures the issue saw
    assert report.ranks_worse
    assert report.summary()[-1] == "The proposal ranks the held-back decisions worse than the rules in force."
