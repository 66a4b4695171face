"""Textual screens and widgets of triage, one per module, styles beside them."""
