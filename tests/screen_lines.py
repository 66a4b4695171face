"""What the terminal shows, line by line, for tests that check what is in view."""

import re

#: Border and scrollbar characters, left out when texts are looked for across lines.
_FRAME = re.compile(r"[█▌▐▊▎▏│┃▕▔▁▀▄▂▃▅▆▇╭╮╰╯─]")


def terminal_lines(app) -> list[str]:
    """The active screen as the compositor draws it (a dialog over what is under it)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def in_view(app, *texts: str) -> bool:
    """Whether every text is on screen. Spacing is ignored; a text wrapped over lines only
    matches where nothing else is drawn beside the wrap (a dialog over a screen is not)."""
    flat = " ".join(" ".join(_FRAME.sub(" ", line).split()) for line in terminal_lines(app))
    return all(" ".join(text.split()) in flat for text in texts)
