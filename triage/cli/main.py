"""The `triage` command: the app, demo data, and the rep's decisions for scripting.

Only the standard library and the domain are imported here; storage (peewee) and the
app (textual) are imported by the commands that need them, so `triage --help` and
`import triage.cli.main` stay light and free of the UI.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Iterable, NoReturn, TextIO

from pydantic import ValidationError

from triage.domain import language
from triage.domain.language import N_, _, counted
from triage.domain.checklist import CHOICES, GRADES
from triage.domain.dates import DAY_FORMATS, parse_day, parse_decimal
from triage.domain.errors import IllegalMove, LeadNotFound, MissingDatabase, TriageError
from triage.domain.models import (AuditEvent, Lead, ReturnDecision, ReturnPath, ReturnReason, Role, Stage,
                                  TeamMember, utcnow)
from triage.domain.scoring import format_parts
from triage.domain.text import one_line, printable

if TYPE_CHECKING:
    from triage.services import Services
    from triage.services.decisions import Opening

PROG = "triage"
DEMO_LEADS = 500
DEMO_REPS = 5
#: Set to show the traceback of an unexpected failure instead of one line.
DEBUG_ENV = "TRIAGE_DEBUG"


class UsageError(Exception):
    """Arguments that do not fit together: exit 2, as argparse does."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command's --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, _("{prog}: error: {message}; see '{command} --help'").format(
            prog=PROG, message=one_line(message), command=self.prog) + "\n")


# ---------------------------------------------------------------------------------------
# Defaults and wiring


def default_login() -> str:
    try:
        return getpass.getuser() or os.environ.get("USER") or "rep"
    except Exception:  # no login name in this environment (e.g. a container without one)
        return os.environ.get("USER") or "rep"


def default_db() -> str:
    from storage import default_url

    return default_url()


def demo_file() -> Path:
    """Where `triage demo` keeps its leads: demo.db in the user data directory."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("triage", appauthor=False)) / "demo.db"


def demo_db() -> str:
    return "sqlite:///" + str(demo_file())


def _repository(url: str, *, create: bool = True):
    from storage import LeadRepository, open_database

    return LeadRepository(open_database(url, create=create))


def _service(args: argparse.Namespace):
    return _services_on(_repository(args.db, create=not args.existing_only), args)


def _services_on(repo, args: argparse.Namespace):
    """The services of whoever acts on `repo` (see `_identity`), scoring by the rules in force."""
    from triage.services import Services

    login, acting_for = _identity(args, repo)
    service = Services.open(repo, actor=login, acting_for=acting_for)
    service.context.rules = _team_rules(service, args)
    return service


def _team_rules(service, args: argparse.Namespace):
    """The rules in force: the team's, from the database. A rules file on this machine
    (`--rules`, `$TRIAGE_RULES`, the user's rules.toml) is a proposal: what it would change
    is shown, and it scores nothing until a team lead adopts it. Only while the team has
    adopted no version yet does a team lead's own file (not `--rules`) become the first."""
    from triage.domain.rules import default_rules, load_rules, rules_difference, rules_path

    found = service.context.store.rules_in_force()
    in_force = default_rules() if found is None else found.rules()
    path = rules_path(args.rules)
    if path is None:
        return in_force
    proposal = load_rules(path)
    if not args.rules and found is None and service.scoring.may_adopt_rules():
        service.scoring.adopt_rules(proposal, note=_("from {path}, the rules file in force before rules lived in the database").format(path=path))
        return service.rules
    changes = rules_difference(in_force, proposal)
    if changes:
        shown = changes if args.rules else changes[:3] + (["…"] if len(changes) > 3 else [])
        print(_("{prog}: rules file {path} is a proposal, not the rules in force (version {version}); "
                "it would change {settings}:").format(
                  prog=PROG, path=printable(path), version=in_force.version,
                  settings=counted(len(changes), "{count} setting", "{count} settings"))
              + "\n  " + "\n  ".join(printable(line) for line in shown) + "\n"
              + _("It scores nothing until a team lead adopts it: triage scoring adopt {path}").format(
                  path=printable(path)),
              file=sys.stderr)
    return in_force


def _identity(args: argparse.Namespace, repo) -> tuple[str, str]:
    """Who acts: (their login, whom they act as, or ""). On PostgreSQL the connection's
    user, whatever `--as` claims: `--as` may only name that same login. On SQLite the
    system login; `--as` naming someone else is a team lead's (or anybody's while the team
    has no members), and the audit trail then names both ("lena as anna")."""
    from triage.services import Services
    from triage.domain.errors import RoleRefused

    given = getattr(args, "login_given", None)
    connected = repo.connected_user()
    if connected is not None:
        if given and given != connected:
            raise TriageError(_(
                "--as {given}: on PostgreSQL you act as the login you connect with ({connected}); "
                "to act as {given}, connect with their login (postgresql://{given}@HOST/DATABASE)").format(
                    given=given, connected=connected))
        return connected, ""
    system = default_login()
    if not given or given == system:
        return system, ""
    try:
        role = Services.open(repo, system).context.role()
    except RoleRefused:
        raise RoleRefused(_("--as {given}: only a team lead may act as another member, and {system} is not on "
                            "the team; each member works under their own system login").format(
                                given=given, system=system)) from None
    if role not in (None, Role.LEAD):
        raise RoleRefused(_("--as {given}: only a team lead may act as another member; {system} is {role}").format(
            given=given, system=system, role=role.label))
    return system, given


def _password(args: argparse.Namespace, *, required: bool) -> str | None:
    """A new member's password: one line of standard input with `--password-stdin`, else
    asked twice on a terminal. Never echoed, never printed."""
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise TriageError(_("--password-stdin: standard input held no password"))
        return password
    if not required:
        return None
    if not sys.stdin.isatty():
        raise TriageError(_("a team login needs a password: give it on standard input with --password-stdin, "
                            "or run this in a terminal to be asked for it"))
    password = getpass.getpass(_("password for {member}: ").format(member=args.member))
    if not password or password != getpass.getpass(_("the same password again: ")):
        raise TriageError(_("the two passwords differ (or are empty); nothing was changed"))
    return password


def _demo_hint(args: argparse.Namespace) -> str:
    """Where the demo's leads are, when this command read the default database (no --db,
    no $TRIAGE_DB, no --demo) and the demo's database exists; else ""."""
    from storage.db import ENV_VAR

    if args.db_given or args.demo or os.environ.get(ENV_VAR) or not demo_file().exists():
        return ""
    return _("the demo's leads are in {path}: add --demo, e.g. `{prog} --demo list`").format(
        path=printable(demo_file()), prog=PROG)


def _no_leads(repo) -> bool:
    return next(iter(repo.list_leads(limit=1)), None) is None


def _default_is_empty(args: argparse.Namespace) -> bool:
    try:
        return _no_leads(_repository(args.db, create=False))
    except TriageError:
        return True


def _run_signing_in(args: argparse.Namespace) -> int:
    """The app of one `triage web` tab on PostgreSQL: the member signs in with their own
    login, and the app connects as them (the password never passes a command line)."""
    sign_in, where = sign_in_to(args.db, args)
    return _run_app(None, sign_in=sign_in, where=where)


def sign_in_to(db: str, args: argparse.Namespace | None = None):
    """For the database at `db` (a PostgreSQL URL; any login in it is dropped): a function
    that connects as a member with their password and gives their services, and where."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from triage.cli.web import without_login

    where = without_login(db)
    parts = urlsplit(where)
    options = argparse.Namespace(login_given=None, rules=getattr(args, "rules", None))

    def sign_in(login: str, password: str):
        url = urlunsplit(parts._replace(netloc=f"{quote(login, safe='')}:{quote(password, safe='')}@{parts.netloc}"))
        try:
            repo = _repository(url, create=False)
        except TriageError as exc:
            raise TriageError(_("not signed in: {problem}").format(
                problem=str(exc).replace(password, "***") if password else exc)) from None
        return _services_on(repo, options)

    return sign_in, printable(where)


def _run_app(service, *, sign_in=None, where: str = "") -> int:
    """The app on `service`, or (without it) asking who signs in (`sign_in`)."""
    from storage.db import tune_for_app
    from triage.cli.web import end_with_parent

    end_with_parent()
    opening = None
    if service is not None:
        tune_for_app(service.context.store.db)
        opening = read_opening(service)
    from screens.app import TriageApp, log_to_file  # textual only when the app really opens
    from screens.keymap import read_keymap

    try:
        keymap = read_keymap()
    except ValueError as exc:
        raise TriageError(_("the keymap: {problem}").format(problem=exc)) from exc
    TriageApp(service, keymap=keymap, log_path=log_to_file(), sign_in=sign_in, where=where, opening=opening).run()
    return 0


def read_opening(service: Services) -> Opening | None:
    """What the app's first screen shows (`Decisions.opening`), read before the app starts:
    the screen draws it in its first frame instead of reading it in a worker once mounted,
    which waits for the screen's thread as it mounts (0.05-0.1 s). None when it cannot be
    read: the screen reads it again, and says why it failed."""
    try:
        return service.decisions.opening(service.team.sla_clock())
    except TriageError:
        return None


# ---------------------------------------------------------------------------------------
# Commands


def cmd_app(args: argparse.Namespace, out: TextIO) -> int:
    if getattr(args, "sign_in", False):
        return _run_signing_in(args)
    service = _service(args)
    hint = _demo_hint(args)
    if hint and _no_leads(service.context.store):
        # Shown again when the app closes: the app itself opens on the empty queue.
        print(_("{prog}: no leads in {database}; {hint}").format(prog=PROG, database=printable(args.db), hint=hint),
              file=sys.stderr)
    return _run_app(service)


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    args.db = args.db_given or demo_db()
    if args.db_given:
        print(_("the demo database is {database}; give the same --db to other commands").format(
            database=printable(args.db)), file=out)
    else:
        print(_("the demo database is {path}; add --demo to any command to work on it, "
                "e.g. `{prog} --demo list`").format(path=printable(demo_file()), prog=PROG), file=out)
    service = _service(args)
    if service.context.store.count_leads() == 0:
        print(_("seeding {leads} and {reps} ...").format(
            leads=counted(DEMO_LEADS, "{count} demo lead", "{count} demo leads"),
            reps=counted(DEMO_REPS, "{count} rep", "{count} reps")), file=out, flush=True)
        seed_database(service.context.store, leads=DEMO_LEADS, reps=DEMO_REPS, seed=0, assign=False, team_lead=service.actor)
    return _run_app(service)


def seed_database(repo, *, leads: int, reps: int, seed: int, assign: bool, team_lead: str) -> list[TeamMember]:
    """`reps` demo reps plus `team_lead` as team lead, and `leads` demo MQLs: in the
    unassigned pool, or dealt round-robin to the reps with `assign`."""
    from storage.repository import lead_columns
    from triage.services.seed import demo_row_chunks, demo_team

    team = demo_team(reps, seed, exclude={team_lead})
    for member in team:
        repo.add_team_member(member)
    repo.add_team_member(TeamMember(login=team_lead, name=team_lead, role=Role.LEAD))
    owners = [member.login for member in team] if assign else None
    with repo.bulk_loading():
        repo.add_lead_chunks(demo_row_chunks(leads, seed, owners=owners, prepare=lead_columns))
    return team


def cmd_seed(args: argparse.Namespace, out: TextIO) -> int:
    if args.assign and args.reps == 0:
        raise UsageError(_("--assign needs at least one rep to deal the leads to (--reps K)"))
    repo = _repository(args.db)
    login, acting_for = _identity(args, repo)
    args.login = acting_for or login
    seed_database(repo, leads=args.leads, reps=args.reps, seed=args.seed, assign=args.assign, team_lead=args.login)
    reps = counted(args.reps, "{count} rep", "{count} reps")
    where = (_("dealt round-robin to the {reps}").format(reps=reps) if args.assign
             else _("all in the unassigned pool"))
    print(_("seeded {leads} and {reps} into {database} ({where}; {login} is team lead)").format(
        leads=counted(args.leads, "{count} lead", "{count} leads"), reps=reps, database=printable(args.db),
        where=where, login=one_line(args.login)), file=out)
    return 0


def lead_json(lead: Lead) -> dict[str, Any]:
    """Every field of the lead, id, stage, owner and score first; enums as their codes
    ("mql"), times in ISO 8601 UTC."""
    data = lead.model_dump(mode="json")
    return {name: data.pop(name) for name in ("id", "stage", "owner", "score")} | data


def event_json(event: AuditEvent) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude={"lead_id"})


LIST_COLUMNS = ((N_("id"), 8, ">"), (N_("stage"), 12, "<"), (N_("owner"), 10, "<"), (N_("score"), 5, ">"),
                (N_("name"), 26, "<"), (N_("company"), 26, "<"), (N_("channel"), 14, "<"), (N_("interest"), 0, "<"))


def _row(cells: Iterable[object], *, cut: bool = True) -> str:
    """One line of `triage list`; a cell longer than its column is cut with "…" (a heading,
    `cut=False`, never is)."""
    parts = []
    for (_heading, width, align), cell in zip(LIST_COLUMNS, cells, strict=True):
        text = one_line(cell)
        if width:
            text = text if len(text) <= width or not cut else text[: width - 1] + "…"
            text = f"{text:{align}{width}}"
        parts.append(text)
    return " ".join(parts).rstrip()


def _heading(name: str) -> str:
    """A column's heading: as ever in English ("stage"), capitalised in German and Dutch ("Fase")."""
    text = _(name)
    return text if language.current() == "en" else text[:1].upper() + text[1:]


def _list_line(lead: Lead) -> str:
    return _row((lead.id, lead.stage.value, lead.owner or "-", lead.score, lead.name or "-",
                 lead.company or "-", lead.channel.value, lead.interest.value))


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    leads = _service(args).decisions.list_leads(stage=args.stage, owner=args.owner, limit=args.limit)
    if args.json:
        # One lead at a time: a million leads never sit in memory as one list.
        out.write("[")
        for index, lead in enumerate(leads):
            out.write(("," if index else "") + "\n" + json.dumps(lead_json(lead), ensure_ascii=False))
        out.write("\n]\n")
        return 0
    print(_row((_heading(heading) for heading, _width, _align in LIST_COLUMNS), cut=False), file=out)
    listed = 0
    for listed, lead in enumerate(leads, 1):
        print(_list_line(lead), file=out)
    if not listed and args.stage is None and args.owner is None:
        hint = _demo_hint(args) or _("`{prog} demo`, `{prog} seed` or `{prog} import PATH` brings leads").format(
            prog=PROG)
        print(_("{prog}: no leads in {database}; {hint}").format(prog=PROG, database=printable(args.db), hint=hint),
              file=sys.stderr)
    return 0


SOURCE_MARKS = {"confirmed": N_("(confirmed by rep)"), "set by rep": N_("(set by rep; data said: {derived})")}
VERDICT_MARKS = {"ok": "✔", "warn": "!", "bad": "✘", "info": "·"}


def _at(value: datetime) -> str:
    """A moment for people: "2026-11-27 15:00" in English as ever, else as the language writes
    it ("Fr 27. Nov. 15:00", "vr 27 nov 15:00")."""
    return f"{value.astimezone():%Y-%m-%d %H:%M}" if language.current() == "en" else language.moment(value)


def _day(value: date) -> str:
    """A day for people: "2027-03-31" in English as ever, "31. März 2027", "31 mrt 2027"."""
    return str(value) if language.current() == "en" else language.day(value)


def _number(value: float) -> str:
    """A figure such as a capacity or SLA hours: "0.5" in English as ever, "0,5" in German and Dutch."""
    return f"{value:g}" if language.current() == "en" else language.number(value)


def _event_line(event: AuditEvent) -> str:
    line = f"  {_at(event.at)}  {one_line(event.actor)}  {one_line(event.action)}"
    if event.from_stage and event.to_stage:
        line += f"  {event.from_stage.label} → {event.to_stage.label}"
    if event.reason:
        line += "  " + _("reason {code}").format(code=event.reason.value)
    if event.path:
        line += ", " + _("path {code}").format(code=event.path.value)
    if event.note:
        line += f"  “{one_line(event.note)}”"
    return line


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    lead = service.decisions.read_lead(args.id)
    history = service.decisions.history(args.id)
    items = service.decisions.checklist(lead)
    if args.json:
        with language.speaking("en"):  # the answers as codes and English words, in every language
            items = service.decisions.checklist(lead)
        payload = lead_json(lead)
        payload["checklist"] = [
            {"question": item.question, "answer": item.answer, "verdict": item.verdict.value,
             "source": item.source} | ({"derived": item.derived} if item.derived else {})
            for item in items
        ]
        payload["history"] = [event_json(event) for event in history]
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
        return 0
    contact = " ".join(part for part in (lead.salutation, lead.name) if part) or _("(no name)")
    role = _(" at ").join(part for part in (lead.job_title, lead.company) if part)
    unassigned = _("unassigned pool")
    labels = (_("email"), _("phone"), _("stage"), _("owner"), _("score"))
    width = max(9, *(len(label) for label in labels))  # "Behandelaar" in Dutch
    email_label, phone_label, stage_label, owner_label, score_label = (f"{label:<{width}}" for label in labels)
    lines = [
        f"#{lead.id} {one_line(contact)}" + (f", {one_line(role)}" if role else "")
        + (f" ({one_line(lead.country)})" if lead.country else ""),
        f"  {email_label} {one_line(lead.email) or '-'}",
        f"  {phone_label} {one_line(lead.phone) or '-'}",
        f"  {stage_label} {lead.stage.label}",
        f"  {owner_label} {one_line(lead.owner) if lead.owner else unassigned}",
        f"  {score_label} {lead.score}" + ("   " + _("grade {grade}").format(grade=lead.grade) if lead.grade else "")
        + "   " + _("recycled {count}×   version {version}").format(count=lead.recycle_count, version=lead.version),
        " " * (width + 3) + (format_parts(lead.score_breakdown) or _("not scored yet"))
        + ("   " + _("(rules {version})").format(version=lead.rules_version) if lead.rules_version else ""),
        "  " + _("handed over {moment}").format(moment=_at(lead.handed_over_at)) if lead.handed_over_at
        else "  " + _("not handed over"),
        "",
        _("Qualification checklist"),
        *(f"  {VERDICT_MARKS[item.verdict.value]} {item.label:<13} {one_line(item.answer)}"
          + ("  " + _(SOURCE_MARKS[item.source]).format(derived=item.derived) if item.source in SOURCE_MARKS else "")
          for item in items),
    ]
    if lead.notes:
        lines += ["", _("Notes"), *("  " + printable(line) for line in lead.notes.splitlines())]
    lines += ["", _("History"), *([_event_line(event) for event in history] or ["  " + _("no decisions yet")])]
    print("\n".join(lines), file=out)
    return 0


def _named(service, lead_id: int, exc: IllegalMove) -> IllegalMove:
    """The refusal again, naming who put the lead at its stage and when (from its history);
    for a lead accepted and moved on (SQL, ...), who accepted it."""
    accepted = exc.to_stage is Stage.SAL and exc.from_stage in (Stage.SAL, Stage.SQL, Stage.OPPORTUNITY,
                                                                 Stage.CUSTOMER)
    stage = Stage.SAL if accepted else exc.from_stage
    moves = [event for event in service.decisions.history(lead_id) if event.to_stage is stage]
    if not moves:
        return IllegalMove(exc.from_stage, exc.to_stage, lead_id=lead_id)
    return IllegalMove(exc.from_stage, exc.to_stage, lead_id=lead_id, by=moves[-1].actor, at=moves[-1].at)


def cmd_accept(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    before = service.decisions.lead(args.id)
    try:
        lead = service.decisions.accept(args.id, expected_version=before.version)
    except IllegalMove as exc:
        raise _named(service, args.id, exc) from None
    print(_("accepted #{id} {name}: {before} → {after}").format(
        id=lead.id, name=one_line(lead.name) or _("(no name)"), before=before.stage.label, after=lead.stage.label),
          file=out)
    return 0


def return_decision(args: argparse.Namespace) -> ReturnDecision:
    try:
        return ReturnDecision(reason=args.reason, path=args.path, note=args.note or "", contract_until=args.until)
    except ValidationError as exc:
        hint = " (--note TEXT)" if args.reason is ReturnReason.OTHER else ""
        raise TriageError(validation_message(exc) + hint) from None


def cmd_return(args: argparse.Namespace, out: TextIO) -> int:
    decision = return_decision(args)
    service = _service(args)
    before = service.decisions.lead(args.id)
    try:
        lead = service.decisions.return_lead(args.id, decision, expected_version=before.version)
    except IllegalMove as exc:
        raise _named(service, args.id, exc) from None
    print(_("returned #{id} {name} ({reason}): {before} → {after}").format(
        id=lead.id, name=one_line(lead.name) or _("(no name)"), reason=decision.reason.value,
        before=before.stage.label, after=lead.stage.label), file=out)
    return 0


def cmd_undo(args: argparse.Namespace, out: TextIO) -> int:
    lead, undone = _service(args).decisions.undo_last()
    where = _("owned by {login}").format(login=one_line(lead.owner)) if lead.owner else _("in the unassigned pool")
    undid = {"accept": N_("undid your accept of #{id} {name}: back to {stage}, {where}"),
             "return": N_("undid your return of #{id} {name}: back to {stage}, {where}")}
    print(_(undid.get(undone.action, "undid your " + undone.action + " of #{id} {name}: back to {stage}, {where}"))
          .format(id=lead.id, name=one_line(lead.name) or _("(no name)"), stage=lead.stage.label, where=where),
          file=out)
    return 0


def cmd_recycle(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    try:
        lead = service.decisions.recycle(args.id)
    except IllegalMove as exc:
        raise _named(service, args.id, exc) from None
    print(_("recycled #{id} {name}: returned (SRL) → MQL, back in the pool (recycled {count}×)").format(
        id=lead.id, name=one_line(lead.name) or _("(no name)"), count=lead.recycle_count), file=out)
    return 0


def cmd_answer(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    before = service.decisions.lead(args.id)
    value = None if args.value == "derived" else args.value
    lead = service.decisions.set_answer(args.id, args.question, value, expected_version=before.version)
    item = next(item for item in service.decisions.checklist(lead) if item.question == args.question)
    print(_("#{id} {question}: {answer} ({source}); score {before} → {after}").format(
        id=lead.id, question=item.label, answer=one_line(item.answer), source=item.source_label,
        before=before.score, after=lead.score), file=out)
    return 0


def cmd_grade(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    before = service.decisions.lead(args.id)
    grade = None if args.grade == "none" else args.grade
    lead = service.decisions.set_grade(args.id, grade, expected_version=before.version)
    print(_("#{id} grade {grade} (score {score})").format(id=lead.id, grade=lead.grade or _("none"),
                                                           score=lead.score), file=out)
    return 0


def _progress(what: str, stream: TextIO) -> Callable[[int, int], None] | None:
    """A progress line on a terminal, nothing when the output goes elsewhere."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        stream.write(f"\r{_(what)} [{'#' * filled}{'.' * (width - filled)}] "
                     f"{language.number(done)}/{language.number(total)}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def cmd_scoring_rescore(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    done = service.scoring.rescore(progress=_progress(N_("scoring"), sys.stderr))
    print(_("scored {leads} with rules {stamp}").format(leads=counted(done, "{count} lead", "{count} leads"),
                                                         stamp=service.rules.stamp), file=out)
    return 0


def cmd_scoring_show(args: argparse.Namespace, out: TextIO) -> int:
    from importlib import resources

    from triage.domain.rules import rules_to_toml

    if args.default:
        out.write(resources.files("triage.domain").joinpath("default_rules.toml").read_text(encoding="utf-8"))
        return 0
    service = _service(args)
    found = service.context.store.rules_in_force()
    if found is None:
        print("# " + _("the rules shipped with triage are in force (the team has adopted no version yet); "
                       "`triage scoring show --default` prints them with their comments"), file=out)
        out.write(rules_to_toml(service.rules))
    else:
        out.write(rules_to_toml(found.rules(), _("rules in force: #{number}, version {version}, adopted by {login} "
                                                 "at {moment} UTC").format(
            number=found.number, version=found.version, login=found.adopted_by,
            moment=f"{found.adopted_at:%Y-%m-%d %H:%M}")))
    return 0


def cmd_scoring_adopt(args: argparse.Namespace, out: TextIO) -> int:
    from triage.domain.rules import load_rules, rules_difference

    path = args.path or args.rules
    if not path:
        raise UsageError(_("which rules? give the file: triage scoring adopt PATH"))
    service = _service(args)
    proposal = load_rules(path)
    changes = rules_difference(service.rules, proposal)
    where = service.scoring.adopt_rules(proposal, note=_("from {file}").format(file=Path(path).name))
    print(_("adopted rules version {version} as {where}, changing {settings}").format(
        version=proposal.version, where=where, settings=counted(len(changes), "{count} setting", "{count} settings")),
          file=out)
    done = service.scoring.rescore(progress=_progress(N_("scoring"), sys.stderr))
    print(_("scored {leads} with rules {stamp}").format(leads=counted(done, "{count} lead", "{count} leads"),
                                                         stamp=service.rules.stamp), file=out)
    return 0


def cmd_scoring_history(args: argparse.Namespace, out: TextIO) -> int:
    versions = _service(args).scoring.rules_versions()
    if args.json:
        print(json.dumps([version.model_dump(mode="json", exclude={"text"}) for version in versions],
                         ensure_ascii=False, indent=2), file=out)
    elif not versions:
        print(_("no version adopted yet: the rules shipped with triage are in force"), file=out)
    word = _("version")
    for version in versions if not args.json else ():
        in_force = "  " + _("in force") if version is versions[-1] else ""
        print(f"#{version.number:<4} {word} {printable(version.version):<10} {version.stamp:<20} "
              f"{_at(version.adopted_at)}  {one_line(version.adopted_by):<12} {one_line(version.note)}"
              f"{in_force}", file=out)
    return 0


def cmd_scoring_revert(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    adopted = service.scoring.revert_rules(args.number)
    print(_("rules #{number} (version {version}) are in force again, as #{new}").format(
        number=args.number, version=printable(adopted.version), new=adopted.number), file=out)
    done = service.scoring.rescore(progress=_progress(N_("scoring"), sys.stderr))
    print(_("scored {leads} with rules {stamp}").format(leads=counted(done, "{count} lead", "{count} leads"),
                                                         stamp=service.rules.stamp), file=out)
    return 0


def _points(value: float | None) -> str:
    if value is None:
        return "-"
    if language.current() == "en" or not value:
        return f"{value:+g}" if value else "0"
    return ("+" if value > 0 else "-") + language.number(abs(value))


def cmd_scoring_report(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    if args.json:
        with language.speaking("en"):  # the report's message and labels the same in every language
            report = service.scoring.report()
    else:
        report = service.scoring.report()
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2), file=out)
    else:
        out.write(report_text(report))
    if args.adopt:
        if report.proposal is None:
            raise TriageError(_("nothing to adopt: {why}").format(why=report.message))
        where = service.scoring.adopt_rules(report.proposal, note=_("proposed by the scoring report"))
        print(_("adopted rules version {version} as {where}").format(version=report.proposal.version, where=where),
              file=out)
        done = service.scoring.rescore(progress=_progress(N_("scoring"), sys.stderr))
        print(_("scored {leads} with rules {stamp}").format(leads=counted(done, "{count} lead", "{count} leads"),
                                                         stamp=service.rules.stamp), file=out)
    return 0


def report_json(report) -> dict[str, Any]:
    return {
        "rules_version": report.rules.version,
        "decided": report.decided,
        "accepted": report.accepted,
        "returned": report.returned,
        "message": report.message,
        "proposed_version": report.proposal.version if report.proposal else None,
        "held_back": report.held_back,
        "auc_current": report.auc_current,
        "auc_proposed": report.auc_proposed,
        "base": {"current": report.base_current, "proposed": report.base_proposed},
        "features": [
            {"feature": figures.feature, "label": figures.label, "decided": figures.decided,
             "accepted": figures.accepted, "acceptance_rate": round(figures.acceptance_rate, 4),
             "current_points": figures.current_points, "proposed_points": figures.proposed_points}
            for figures in report.features
        ],
    }


def report_text(report) -> str:
    lines = [one_line(line) for line in report.summary()]
    answer, decided, accepted, current, proposed, base = (
        _("answer"), _("decided"), _("accepted"), _("current"), _("proposed"), _("base"))
    lines += ["", f"{answer:<28} {decided:>8} {accepted:>9} {current:>8} {proposed:>9}",
              f"{base:<28} {'':>8} {'':>9} {_points(report.base_current):>8} {_points(report.base_proposed):>9}"]
    for figures in report.features:
        lines.append(
            f"{figures.label[:28]:<28} {language.number(figures.decided):>8} {language.percent(figures.acceptance_rate):>8} "
            f"{_points(figures.current_points):>8} {_points(figures.proposed_points):>9}"
        )
    if report.proposal is not None:
        lines += ["", _("A team lead adopts the proposal as version {version} with "
                        "`triage scoring report --adopt`.").format(version=report.proposal.version)]
    return "\n".join(lines) + "\n"


def cmd_take(args: argparse.Namespace, out: TextIO) -> int:
    lead = _service(args).decisions.take()
    if lead is None:
        raise TriageError(_("the unassigned pool is empty: nothing to take"))
    print(lead.id, file=out)
    return 0


def _member_line(member: TeamMember) -> str:
    parts = [f"{one_line(member.login):<12} {one_line(member.name):<24} {member.role.label:<12}",
             _("capacity {capacity}").format(capacity=_number(member.capacity)),
             _("cap {cap}").format(cap=member.cap) if member.cap is not None else _("no cap")]
    if member.countries or member.languages:
        parts.append(_("covers {where}").format(where=", ".join([*member.countries, *member.languages])))
    parts += [_("away {first}..{last}").format(first=_day(period.since), last=_day(period.until))
              for period in member.away]
    return "  ".join(parts)


def cmd_team_list(args: argparse.Namespace, out: TextIO) -> int:
    team = _service(args).team.team()
    if args.json:
        print(json.dumps([member.model_dump(mode="json") for member in team], ensure_ascii=False, indent=2), file=out)
    elif not team:
        print(_("no team yet: nothing is enforced; `triage team add LOGIN --name NAME --role lead` starts one"),
              file=out)
    else:
        for member in team:
            print(_member_line(member), file=out)
    return 0


def _member_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "role", "capacity"):
        if getattr(args, name, None) is not None:
            changes[name] = getattr(args, name)
    if getattr(args, "cap", None) is not None:
        changes["cap"] = None if args.cap == "none" else _count(args.cap)
    if getattr(args, "countries", None) is not None:
        changes["countries"] = [code for code in args.countries.split(",") if code.strip()]
    if getattr(args, "languages", None) is not None:
        changes["languages"] = [code for code in args.languages.split(",") if code.strip()]
    return changes


def cmd_team_add(args: argparse.Namespace, out: TextIO) -> int:
    member = TeamMember(login=args.member, **_member_changes(args))
    service = _service(args)
    team_logins = service.context.store.connected_user() is not None
    service.team.add_member(member, password=_password(args, required=team_logins))
    print((_("added {member} with a database login of the same name") if team_logins else _("added {member}"))
          .format(member=_member_line(member)), file=out)
    return 0


def cmd_team_set(args: argparse.Namespace, out: TextIO) -> int:
    changes = _member_changes(args)
    password = _password(args, required=False)
    if not changes and password is None:
        raise UsageError(_("nothing to change: give --name, --role, --capacity, --cap, --countries, --languages "
                           "or --password-stdin"))
    member = _service(args).team.update_member(args.member, password=password, **changes)
    print((_("changed {member} and the login's password") if password else _("changed {member}"))
          .format(member=_member_line(member)), file=out)
    return 0


def cmd_team_remove(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    service.team.remove_member(args.member)
    removed = (_("removed {login} from the team and ended the database login")
               if service.context.store.connected_user() is not None else _("removed {login} from the team"))
    print(removed.format(login=one_line(args.member)), file=out)
    return 0


def cmd_team_away(args: argparse.Namespace, out: TextIO) -> int:
    member = _service(args).team.set_away(args.member, args.since, args.until)
    print(_("{login} away {first}..{last}").format(login=one_line(member.login), first=_day(args.since),
                                                    last=_day(args.until)), file=out)
    return 0


def _period(text: str) -> tuple[date, date]:
    """FROM..TO, each day as people type it: 01.03.2027..31.03.2027."""
    first, dots, last = text.strip().partition("..")
    if not dots:
        raise argparse.ArgumentTypeError(
            _("{text} is not a period FROM..TO, e.g. 01.03.2027..31.03.2027 (days as {formats})").format(
                text=repr(text), formats=DAY_FORMATS))
    try:
        return parse_day(first), parse_day(last)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("{text} is not a period FROM..TO: {problem}").format(
            text=repr(text), problem=exc)) from None


def cmd_assign(args: argparse.Namespace, out: TextIO) -> int:
    from datetime import datetime, time, timezone

    service = _service(args)
    if args.replay:
        since, until = args.replay
        if until < since:
            raise UsageError(_("the replay period ends before it starts"))
        service.context.require_team_lead(_("replay assignments"))
        start = datetime.combine(since, time(0), tzinfo=timezone.utc)
        end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=timezone.utc)
        rows = service.team.replay(start, end)
        print(_("leads handed over {first}..{last}, assigned again under today's team and rules:").format(
            first=_day(since), last=_day(until)), file=out)
        rep, replayed, points, actual = _("rep"), _("replay leads"), _("points"), _("actual leads")
        print(f"{rep:<12} {replayed:>12} {points:>8}   {actual:>12} {points:>8}", file=out)
        for row in rows:
            print(f"{one_line(row.login):<12} {row.replay_count:>12} {row.replay_score:>8}   "
                  f"{row.actual_count:>12} {row.actual_score:>8}", file=out)
        return 0
    assigned = staying = 0
    for outcome in service.team.assign_pool_batches(dry_run=args.dry_run):
        out.write("".join(f"#{assignment.lead_id} → {one_line(assignment.reason)}\n"
                          for assignment in outcome.assignments))
        out.write("".join(_("#{id} stays in the pool: {why}").format(id=lead_id, why=one_line(why)) + "\n"
                          for lead_id, why in outcome.unassigned))
        assigned += len(outcome.assignments)
        staying += len(outcome.unassigned)
    done = (_("would assign {leads}; {staying}") if args.dry_run else _("assigned {leads}; {staying}"))
    print(done.format(leads=counted(assigned, "{count} lead", "{count} leads"),
                      staying=counted(staying, "{count} stays in the pool", "{count} stay in the pool")), file=out)
    return 0


def cmd_reassign(args: argparse.Namespace, out: TextIO) -> int:
    to = None if args.to == "pool" else args.to
    done = _service(args).team.reassign(args.ids, to)
    skipped = sorted(set(args.ids) - set(done))
    print(_("reassigned {leads} to {whom}").format(leads=counted(len(done), "{count} lead", "{count} leads"),
                                                    whom=to or _("the pool"))
          + ("; " + _("not open MQLs, left alone: {ids}").format(ids=", ".join(map(str, skipped))) if skipped else ""),
          file=out)
    return 0


#: `triage sla` lists this many of the most urgent leads unless --all.
SLA_SHOWN = 50


def cmd_sla(args: argparse.Namespace, out: TextIO) -> int:
    if args.volume:
        return sla_volume(args, out)
    service = _service(args)
    now = utcnow()
    breached, soon = service.team.sla_summary(now)
    found = service.team.sla_urgent(now) if args.all else iter(service.team.sla_report(now, limit=SLA_SHOWN))
    if args.json:
        out.write("[")
        for count, (lead, status) in enumerate(found):
            out.write(("," if count else "") + "\n" + json.dumps(
                {"id": lead.id, "owner": lead.owner, "state": status.state.value,
                 "hours_left": round(status.hours_left, 2), "due": status.due.isoformat()}))
        out.write("\n]\n")
    else:
        shown = 0
        pool = _("pool")
        for lead, status in found:
            due = _("due {moment}").format(moment=_at(status.due))
            state = status.state.value if language.current() == "en" else status.state.label
            print(f"#{lead.id:<7} {state:<9} {status.text():<10} {due}"
                  f"  {one_line(lead.owner or pool):<12} {one_line(lead.name)}", file=out)
            shown += 1
        if shown < breached + soon:
            print(_("the most urgent {shown} of {total} (--all lists every one)").format(
                shown=language.number(shown), total=language.number(breached + soon)), file=out)
        print(_("{breached} breached, {soon} soon due (SLA {hours} business hours per MQL)").format(
            breached=language.number(breached), soon=language.number(soon),
            hours=_number(service.rules.sla.hours.get(Stage.MQL, 0))), file=out)
    if args.apply:
        service.context.require_team_lead(_("act on SLA breaches"))
        for lead_id, what in service.team.apply_breach_policy():
            print(f"#{lead_id} {what}", file=out)
    return 0


def sla_volume(args: argparse.Namespace, out: TextIO) -> int:
    """`triage sla --volume`: the volume agreement both ways, a line per month."""
    months = _service(args).team.volume(args.months)
    if args.json:
        print(json.dumps([{"month": month.month, "current": month.current, "mqls_promised": month.promised,
                           "mqls_due": month.due, "mqls_handed_over": month.handed_over,
                           "marketing_kept": month.marketing_kept, "answered": month.answered,
                           "answered_in_time": month.answered_in_time, "in_time_agreed": month.in_time_share,
                           "sales_kept": month.sales_kept} for month in months], indent=2), file=out)
    else:
        for month in months:
            print(month.line(), file=out)
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from triage.files.importing import UnreadableFile, parse_mapping

    service = _service(args)
    bar = _progress(N_("importing"), sys.stderr)
    try:
        summary = service.transfer.import_file(
            Path(args.path), encoding=args.encoding, mapping=parse_mapping(args.map or []),
            progress=(lambda share: bar(int(share * 1000), 1000)) if bar else None,
        )
    except UnreadableFile as exc:
        print(_("{prog}: error: {message}").format(prog=PROG, message=one_line(exc)), file=sys.stderr)
        return 2
    if summary.unknown_columns:
        print(_("columns not mapped to a field, kept with each lead: {columns} "
                "(--map COLUMN=FIELD to read one as a field)").format(
                    columns=one_line(", ".join(summary.unknown_columns))), file=out)
    if summary.ignored_columns:
        print(_("columns not imported (triage keeps its own): {columns}").format(
            columns=one_line(", ".join(summary.ignored_columns))), file=out)
    if summary.unknown_channels:
        more = len(summary.unknown_channels) - 20
        print(_("channels not known, kept with the lead as channel other: {channels}").format(
            channels=one_line(", ".join(summary.unknown_channels[:20])))
              + (" " + _("and {count} more").format(count=language.number(more)) if more > 0 else ""), file=out)
    if summary.rejects_path:
        print(_("rejected rows, unchanged, with the reason: {path}").format(path=printable(summary.rejects_path)),
              file=out)
    if summary.imported:
        assigned = service.team.assign_imported(summary)
        if assigned:
            print(_("assigned {leads} to the reps").format(leads=counted(assigned, "{count} new MQL", "{count} new MQLs")),
                  file=out)
    print(summary.line(), file=out)
    return summary.exit_code


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    from datetime import datetime, time, timezone

    from triage.files.exporting import (EXCEL_STYLES, CsvStyle, write_csv, write_csv_text, write_json,
                                        write_json_text, write_xlsx)

    fmt = args.format or (Path(args.output).suffix.lower().lstrip(".") if args.output != "-" else "csv")
    if fmt not in ("csv", "xlsx", "json"):
        raise UsageError(_("cannot tell the format from {path}: give --format csv, xlsx or json").format(
            path=repr(args.output)))
    if fmt == "xlsx" and args.output == "-":
        raise UsageError(_("an XLSX workbook needs a file: -o PATH.xlsx"))
    since = datetime.combine(args.since, time(0), tzinfo=timezone.utc) if args.since else None
    until = datetime.combine(args.until + timedelta(days=1), time(0), tzinfo=timezone.utc) if args.until else None
    style = EXCEL_STYLES[args.excel] if args.excel else CsvStyle()
    if args.delimiter is not None:
        style = CsvStyle(args.delimiter, style.decimal_comma)
    if fmt != "csv" and (args.excel or args.delimiter is not None):
        raise UsageError(_("--excel and --delimiter are for CSV files"))
    transfer = _service(args).transfer
    if args.kind == "leads" and fmt != "xlsx":  # the database formats the cells
        columns, pages = transfer.export_lead_pages(fmt, since, until, style.delimiter)

        def write(stream: TextIO) -> int:
            if fmt == "csv":
                return write_csv_text(stream, columns, pages, style)
            return write_json_text(stream, pages)
    else:
        columns, rows = transfer.export_rows(args.kind, since, until)

        def write(stream: TextIO) -> int:
            if fmt == "csv":
                return write_csv(stream, columns, rows, style)
            return write_json(stream, columns, rows)

    if fmt == "xlsx":
        count = write_xlsx(args.output, columns, rows, args.kind)
    elif args.output == "-":
        count = write(out)
    else:
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        try:
            with open(args.output, "w", encoding=encoding, newline="") as stream:
                count = write(stream)
        except OSError as exc:
            raise TriageError(_("cannot write {path}: {problem}").format(path=args.output, problem=exc.strerror)) from None
    if args.output != "-":
        print(_("exported {rows} ({kind}, {format}) to {path}").format(
            rows=_rows(count), kind=args.kind, format=fmt, path=printable(args.output)), file=out)
    return 0


def _rows(count: int) -> str:
    """"1204 rows" in English as ever (no thousands separator there), "1.204 Zeilen" in German."""
    if language.current() == "en":
        return f"{count} rows"
    return counted(count, "{count} row", "{count} rows")


def _intake(args: argparse.Namespace):
    from triage.services.intake import Intake

    return Intake(_service(args))


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from storage.db import tune_for_serving
    from triage.cli.server import serve

    intake = _intake(args)
    tune_for_serving(intake.store.db)
    serve(intake, host=args.host, port=args.port, hubspot_secret=os.environ.get("TRIAGE_HUBSPOT_SECRET", ""),
          public_url=args.public_url, print_line=lambda line: print(line, file=out, flush=True))
    return 0


def cmd_web(args: argparse.Namespace, out: TextIO) -> int:
    from triage.cli.web import app_command, serve

    repo = _repository(args.db, create=not args.existing_only)
    _identity(args, repo)  # refused here, not in each tab
    # On PostgreSQL each tab signs in with the member's own login; on SQLite who acts is
    # the login that runs `triage web`, as in a terminal.
    command = app_command(args.db, args.login_given, args.rules, sign_in=repo.connected_user() is not None)
    serve(command, host=args.host, port=args.port, title="triage",
          print_line=lambda line: print(line, file=out, flush=True))
    return 0


def cmd_token_add(args: argparse.Namespace, out: TextIO) -> int:
    token = _intake(args).add_token(args.name)
    print(token, file=out)
    print(_("the token for {name}; it is shown this once: keep it in the automation tool").format(
        name=one_line(args.name)), file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace, out: TextIO) -> int:
    _intake(args).revoke_token(args.name)
    print(_("revoked the token {name}").format(name=one_line(args.name)), file=out)
    return 0


def cmd_token_list(args: argparse.Namespace, out: TextIO) -> int:
    tokens = _intake(args).tokens()
    if not tokens:
        print(_("no tokens: `triage token add NAME` makes one"), file=out)
    made_by = _("made by")
    for token in tokens:
        state = _("revoked {moment}").format(moment=_at(token["revoked_at"])) if token["revoked_at"] else _("in use")
        print(f"{one_line(token['name']):<20} {made_by} {one_line(token['created_by']):<12} "
              f"{_at(token['created_at'])}  {state}", file=out)
    return 0


def cmd_webhooks_log(args: argparse.Namespace, out: TextIO) -> int:
    deliveries = _intake(args).deliveries(args.limit)
    if args.json:
        print(json.dumps(deliveries, ensure_ascii=False, indent=2, default=str), file=out)
        return 0
    if not deliveries:
        print(_("nothing sent yet: no decision a webhook of the rules wants"), file=out)
    english = language.current() == "en"
    lead_word = _("lead")
    for item in deliveries:
        if item["state"] == "delivered":
            when = f"{item['delivered_at']:%Y-%m-%d %H:%M:%S}" if english else language.moment(item["delivered_at"])
            state = _("delivered {moment} (HTTP {status})").format(moment=when, status=item["last_status"])
        else:
            when = f"{item['next_attempt_at']:%H:%M:%S}" if english else language.clock_time(item["next_attempt_at"])
            state = (_("pending, next try {time}").format(time=when)
                     + ("; " + _("last: {error}").format(error=one_line(item["last_error"])) if item["last_error"] else ""))
        attempts = counted(item["attempts"], "{count} attempt", "{count} attempts")
        print(f"#{item['id']:<5} {item['kind']:<12} {lead_word} {item['lead_id']:<7} {one_line(item['url'])}  "
              f"{attempts}  {state}", file=out)
    return 0


def cmd_db_check(args: argparse.Namespace, out: TextIO) -> int:
    """Reachable and migrated? A SQLite file that does not exist is said so, not created."""
    from storage.db import SCHEMA_VERSION, check_database

    line, version = check_database(args.db)
    print(printable(line), file=out)
    return 0 if version == SCHEMA_VERSION else 1


#: Commands that work on a database that exists: on a SQLite file that does not, they
#: say so and exit 1 instead of creating an empty one. The app, demo, seed, import and
#: `team add` may start a new database.
EXISTING_ONLY = frozenset({
    cmd_list, cmd_show, cmd_accept, cmd_return, cmd_recycle, cmd_take, cmd_answer, cmd_grade,
    cmd_scoring_rescore, cmd_scoring_report, cmd_team_list, cmd_team_set, cmd_team_away,
    cmd_assign, cmd_reassign, cmd_sla, cmd_export, cmd_db_check, cmd_undo, cmd_scoring_show, cmd_scoring_adopt,
    cmd_scoring_history, cmd_scoring_revert, cmd_team_remove,
})


# ---------------------------------------------------------------------------------------
# The parser


def _choice(enum: type[StrEnum], refusal: str) -> Callable[[str], Any]:
    """A code of `enum`; else `refusal` ("unknown stage {text}; choose from {choices}")."""
    def convert(text: str):
        try:
            return enum(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_(refusal).format(
                text=repr(text), choices=", ".join(member.value for member in enum))) from None

    convert.__name__ = enum.__name__.lower()
    return convert


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a whole number").format(text=repr(text))) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value} is negative").format(value=value))
    return value


def _delimiter(text: str) -> str:
    given = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}.get(text.lower(), text)
    if given not in (",", ";", "\t", "|"):
        raise argparse.ArgumentTypeError(_("{text}: use ',', ';', 'tab' or '|'").format(text=repr(text)))
    return given


def _lead_id(text: str) -> int:
    try:
        return int(text.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a lead id (a number, e.g. 42)").format(text=repr(text))) from None


def _date(text: str) -> date:
    """A day as people type it: 31.03.2027, 31-3-27 or 2027-03-31."""
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _decimal(text: str) -> float:
    """A number with a decimal point or comma: 0.5 or 0,5."""
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _language_given(argv: list[str]) -> str | None:
    """`--lang X` from the command line before it is parsed: the parser's own help texts
    are in that language."""
    for index, word in enumerate(argv):
        if word == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--lang="):
            return word.partition("=")[2]
    return None


#: argparse's own texts ("usage: ", "options", its errors), in the cli catalog: argparse looks
#: each up through its module's `_` when it needs it, which build_parser points at ours.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"), N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"), N_("one of the arguments %s is required"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("%(prog)s: error: %(message)s\n"),
    N_("can't open '%(filename)s': %(error)s"),
)


def build_parser() -> argparse.ArgumentParser:
    # argparse's texts in the language in use (its headings are read when a parser is made).
    setattr(argparse, "_", _)
    setattr(argparse, "ngettext", language.ngettext)
    # The global options, accepted before and after the command: SUPPRESS keeps a value
    # given before the command from being reset by the command's own default.
    common = Parser(add_help=False)
    common.add_argument("--db", dest="db_given", metavar="URL", default=argparse.SUPPRESS,
                        help=_("database URL, e.g. sqlite:///path/to/triage.db (default: $TRIAGE_DB, "
                             "else triage.db in your user data directory)"))
    common.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help=_("work on the demo database that 'triage demo' opens ({path})").format(
                            path=printable(demo_file())))
    common.add_argument("--as", dest="login", metavar="LOGIN", default=argparse.SUPPRESS,
                        help=_("act as this team member (a team lead's, on SQLite; the audit trail names both); "
                             "default: your system login; on PostgreSQL always the login you connect with"))
    common.add_argument("--rules", metavar="PATH", default=argparse.SUPPRESS,
                        help=_("a scoring rules file to propose: shows what it would change; the team's "
                             "rules in force live in the database (see `triage scoring`)"))
    common.add_argument("--sign-in", dest="sign_in", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)  # the app of a `triage web` tab on PostgreSQL
    common.add_argument("--lang", choices=sorted(language.LANGUAGES), default=argparse.SUPPRESS,
                        help=_("the language to speak: en, de or nl (default: $TRIAGE_LANG, else the locale, "
                             "else en); --json and exported values stay the same in every language"))
    parser = Parser(
        prog=PROG, parents=[common],
        description=_("Inside-sales lead triage: work the queue of marketing-qualified leads (MQLs), "
                    "accept them (SAL) or return them to marketing with a reason. "
                    "Without a command, opens the app."),
        epilog=_("Start with 'triage demo' to try it on {count} demo leads. They live in their own "
                 "database, {path}: add --demo to any command to work on it, "
                 "e.g. 'triage --demo list'.").format(count=DEMO_LEADS, path=printable(demo_file())),
    )
    parser.set_defaults(handler=cmd_app)
    commands = parser.add_subparsers(title=_("commands"), metavar="COMMAND")

    def command(name: str, handler, help: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help, description=description)
        sub.set_defaults(handler=handler, command_parser=sub)
        return sub

    command("demo", cmd_demo, _("open the app on a demo database"),
            _("Open the app on a demo database: {path} unless --db is given. An "
              "empty one is first seeded with {leads} realistic leads and {reps} reps. "
              "Other commands work on it with --demo, e.g. 'triage --demo list'.").format(
                path=printable(demo_file()), leads=DEMO_LEADS, reps=DEMO_REPS))

    seed = command("seed", cmd_seed, _("fill a database with demo leads and reps"),
                   _("Fill the database with realistic German, Dutch and English demo leads and a team: "
                   "K reps, and you (--as) as team lead. The leads are MQLs waiting in the unassigned "
                   "pool, some of them handraisers (demo requests), unless --assign deals them to the "
                   "reps. The same --seed gives the same leads."))
    seed.add_argument("--leads", type=_count, default=DEMO_LEADS, metavar="N",
                      help=_("how many leads (default {count})").format(count=DEMO_LEADS))
    seed.add_argument("--reps", type=_count, default=DEMO_REPS, metavar="K",
                      help=_("how many reps (default {count})").format(count=DEMO_REPS))
    seed.add_argument("--seed", type=int, default=0, metavar="S", help=_("random seed (default 0)"))
    seed.add_argument("--assign", action="store_true", help=_("deal the leads round-robin to the reps"))

    listing = command("list", cmd_list, _("list leads"),
                      _("List leads by id: a table, or with --json a JSON array of every field."))
    listing.add_argument("--stage", type=_choice(Stage, N_("unknown stage {text}; choose from {choices}")),
                         help=_("only leads at this stage: ") + ", ".join(stage.value for stage in Stage))
    listing.add_argument("--owner", metavar="LOGIN", help=_("only leads owned by LOGIN"))
    listing.add_argument("--limit", type=_count, metavar="N", help=_("at most N leads"))
    listing.add_argument("--json", action="store_true", help=_("a JSON array, every field of each lead"))

    show = command("show", cmd_show, _("one lead with its checklist and history"),
                   _("Show one lead: its data, the qualification checklist and its history of decisions."))
    show.add_argument("id", type=_lead_id, help=_("the lead's id"))
    show.add_argument("--json", action="store_true", help=_("JSON: every field, plus checklist and history"))

    accept = command("accept", cmd_accept, _("accept an MQL: it becomes a SAL owned by you"),
                     _("Accept a lead: the MQL becomes a sales-accepted lead (SAL), owned by you "
                     "unless a rep already owns it."))
    accept.add_argument("id", type=_lead_id, help=_("the lead's id"))

    ret = command("return", cmd_return, _("return a lead to marketing with a reason"),
                  _("Return a lead to marketing with a reason: path nurture makes it a sales-returned "
                  "lead (SRL) that marketing keeps warm, path disqualify ends it for good."))
    ret.add_argument("id", type=_lead_id, help=_("the lead's id"))
    ret.add_argument("--reason", required=True, type=_choice(ReturnReason, N_("unknown reason {text}; choose from {choices}")), metavar="CODE",
                     help=_("why: ") + "; ".join(f"{reason.value} ({reason.label})" for reason in ReturnReason))
    ret.add_argument("--path", required=True, type=_choice(ReturnPath, N_("unknown path {text}; choose from {choices}")), metavar="PATH",
                     help=_("nurture (not ready now) or disqualify (never a customer)"))
    ret.add_argument("--note", metavar="TEXT", help=_("a note for the review board (required with reason other)"))
    ret.add_argument("--until", type=_date, metavar="DAY",
                     help=_("when the contract ends, {formats} (only with reason contract)").format(formats=DAY_FORMATS))

    command("undo", cmd_undo, _("undo your last accept or return"),
            _("Undo your last accept or return: the lead is back as it was before (stage and owner), "
            "with an undo in its history. Refused when anyone changed the lead since, or when "
            "your last decision is undone already."))

    command("recycle", cmd_recycle, _("hand a nurtured lead back to sales as an MQL"),
            _("Marketing hands a returned (nurtured) lead back to sales: it becomes an MQL in the "
            "unassigned pool again, and its recycle count goes up.")).add_argument(
        "id", type=_lead_id, help=_("the lead's id"))

    command("take", cmd_take, _("take the next lead from the unassigned pool; prints its id"),
            _("Take the next MQL of the unassigned pool, in queue order (handraisers first), as "
            "your own, and print its id. Reps taking at the same moment never get the same "
            "lead. Exits 1 when the pool is empty."))

    answer = command("answer", cmd_answer, _("confirm or override a checklist answer"),
                     _("Confirm or override one answer of a lead's qualification checklist; the lead "
                     "is scored again and the change is in its history. 'derived' takes an "
                     "override back. Answers: ") + "; ".join(
                         f"{question}: {', '.join(code for code, _label in choices)}"
                         for question, choices in CHOICES.items()))
    answer.add_argument("id", type=_lead_id, help=_("the lead's id"))
    answer.add_argument("question", choices=list(CHOICES), metavar="QUESTION",
                        help=", ".join(CHOICES))
    answer.add_argument("value", metavar="VALUE", help=_("the answer, or 'derived'"))

    grade = command("grade", cmd_grade, _("give a lead your own grade, A to D"),
                    _("Give a lead the rep's own grade, A (best) to D, kept beside the computed "
                    "score; 'none' clears it."))
    grade.add_argument("id", type=_lead_id, help=_("the lead's id"))
    grade.add_argument("grade", choices=[*GRADES, "none"], metavar="GRADE", help=_("A, B, C, D or none"))

    scoring = commands.add_parser(
        "scoring", parents=[common], help=_("the scoring rules: report, show, rescore"),
        description=_("The scoring rules: what sales' decisions say about them, the rules in force, "
                    "and scoring the stored leads again."))
    scoring.set_defaults(handler=lambda args, out: scoring.error(_("choose report, show or rescore")),
                         command_parser=scoring)
    scoring_commands = scoring.add_subparsers(title=_("commands"), metavar="COMMAND")

    def scoring_command(name: str, handler, help: str, description: str) -> argparse.ArgumentParser:
        sub = scoring_commands.add_parser(name, parents=[common], help=help, description=description)
        sub.set_defaults(handler=handler, command_parser=sub)
        return sub

    report = scoring_command(
        "report", cmd_scoring_report, _("acceptance per answer, current and proposed points"),
        _("From the stored accept and return decisions: how often sales accepted leads with each "
        "answer, the points of the rules in force beside points fitted to the decisions, and how "
        "well each ranks decisions held back from the fit (AUC). With too few decisions it says "
        "so instead of proposing."))
    report.add_argument("--json", action="store_true", help=_("the report as JSON"))
    report.add_argument("--adopt", action="store_true",
                        help=_("make the proposal the rules in force (team lead only) and score the leads again"))
    show_rules = scoring_command("show", cmd_scoring_show, _("print the rules in force as TOML"),
                                 _("Print the team's scoring rules in force as TOML, to copy and edit into a "
                                 "proposal."))
    adopt = scoring_command("adopt", cmd_scoring_adopt, _("make a rules file the team's rules (team lead)"),
                            _("Make the rules of a TOML file the rules in force for the whole team (a new "
                            "version in the database) and score the leads again. Team lead only."))
    adopt.add_argument("path", metavar="PATH", nargs="?", help=_("the rules file (default: --rules)"))
    history = scoring_command("history", cmd_scoring_history, _("the versions of the rules, who adopted each"),
                              _("Every version of the rules the team adopted, oldest first; the last is in force."))
    history.add_argument("--json", action="store_true", help=_("a JSON array"))
    revert = scoring_command("revert", cmd_scoring_revert, _("adopt an earlier version again (team lead)"),
                             _("Make an earlier version (its #number in `triage scoring history`) the rules in "
                             "force again, as a new version, and score the leads again."))
    revert.add_argument("number", type=_count, metavar="N", help=_("the version's number, e.g. 3"))
    show_rules.add_argument("--default", action="store_true",
                            help=_("the rules shipped with triage, with comments on every setting"))
    def member_options(sub: argparse.ArgumentParser, *, adding: bool) -> None:
        sub.add_argument("member", metavar="LOGIN", help=_("the member's login"))
        sub.add_argument("--name", required=adding, help=_("the member's full name"))
        sub.add_argument("--role", type=_choice(Role, N_("unknown role {text}; choose from {choices}")), default=Role.REP if adding else None,
                         help=_("rep, lead (team lead), board (review board) or marketing") + (" " + _("(default rep)") if adding else ""))
        sub.add_argument("--capacity", type=_decimal, default=None, metavar="W",
                         help=_("share of the leads relative to the others: 1 full time, 0.5 half (default 1)"))
        sub.add_argument("--cap", metavar="N", help=_("at most N open MQLs at once; 'none' for no cap"))
        sub.add_argument("--countries", metavar="DE,AT", help=_("countries covered, comma-separated (default all)"))
        sub.add_argument("--languages", metavar="de,nl", help=_("languages covered, comma-separated (default all)"))
        sub.add_argument("--password-stdin", action="store_true",
                         help=_("PostgreSQL: read the member's login password from standard input")
                              + " " + (_("(default: asked on the terminal)") if adding else _("(default: unchanged)")))

    team = commands.add_parser("team", parents=[common], help=_("the sales team: list, add, set, remove, away"),
                               description=_("The sales team, its roles, capacities, caps and away periods."))
    team.set_defaults(handler=lambda args, out: team.error(_("choose list, add, set, remove or away")), command_parser=team)
    team_commands = team.add_subparsers(title=_("commands"), metavar="COMMAND")

    def team_command(name: str, handler, help: str, description: str) -> argparse.ArgumentParser:
        sub = team_commands.add_parser(name, parents=[common], help=help, description=description)
        sub.set_defaults(handler=handler, command_parser=sub)
        return sub

    team_list = team_command("list", cmd_team_list, _("who is on the team"), _("List the team's members."))
    team_list.add_argument("--json", action="store_true", help=_("a JSON array, every field"))
    member_options(team_command("add", cmd_team_add, _("add a member (team lead)"),
                                _("Add a member to the team. Only a team lead may, once the team has "
                                "members; the first member can be added by anyone.")), adding=True)
    member_options(team_command("set", cmd_team_set, _("change a member (team lead)"),
                                _("Change a member's name, role, capacity, cap or coverage.")), adding=False)
    remove = team_command("remove", cmd_team_remove, _("take a member off the team (team lead)"),
                          _("Take a member off the team; on PostgreSQL their database login ends too. "
                          "Their decisions stay in the audit trail."))
    remove.add_argument("member", metavar="LOGIN", help=_("the member's login"))
    away = team_command("away", cmd_team_away, _("record an away period"),
                        _("Record that a member is away from one day to another (both included): they get "
                        "no leads meanwhile. Reps record their own; a team lead anyone's."))
    away.add_argument("member", metavar="LOGIN", help=_("who is away"))
    away.add_argument("--from", dest="since", type=_date, required=True, metavar="DAY",
                      help=_("first day away: {formats}").format(formats=DAY_FORMATS))
    away.add_argument("--until", type=_date, required=True, metavar="DAY", help=_("last day away"))

    assign_parser = command(
        "assign", cmd_assign, _("assign the pool's MQLs to the reps, fairly (team lead)"),
        _("Assign the unassigned pool's MQLs to the reps: handraisers first; only reps present, "
        "under their cap and covering the lead's country or language; each rep's count and score "
        "sum kept in proportion to capacity over 30 days. Each assignment says why."))
    assign_parser.add_argument("--dry-run", action="store_true", help=_("say what would happen, change nothing"))
    assign_parser.add_argument("--replay", type=_period, metavar="FROM..TO",
                               help=_("assign the leads handed over in a past period (e.g. "
                                    "01.03.2027..31.03.2027) again under today's team "
                                    "and rules, and print per rep counts and points beside what really happened "
                                    "(changes nothing)"))

    reassign = command("reassign", cmd_reassign, _("give leads to another rep or the pool (team lead)"),
                       _("Give one or many open MQLs to another rep, or back to the pool; audited."))
    reassign.add_argument("ids", type=_lead_id, nargs="+", metavar="ID", help=_("the leads' ids"))
    reassign.add_argument("--to", required=True, metavar="LOGIN", help=_("the rep, or 'pool'"))

    sla = command("sla", cmd_sla, _("MQLs breaching or soon breaching their SLA"),
                  _("List open MQLs past their service level or close to it (business hours, working days, "
                  "public holidays, as the rules' [sla] table says)."))
    sla.add_argument("--json", action="store_true", help=_("a JSON array"))
    sla.add_argument("--all", action="store_true",
                     help=_("every breached and soon due MQL, not only the most urgent {count}").format(count=SLA_SHOWN))
    sla.add_argument("--volume", action="store_true",
                     help=_("the volume agreement both ways per month: MQLs marketing handed over against [agreement], "
                          "sales' answers within the SLA against its answers"))
    sla.add_argument("--months", type=int, default=3, metavar="N",
                     help=_("with --volume: the current month and the N before it (default 3)"))
    sla.add_argument("--apply", action="store_true",
                     help=_("act on breaches as the rules say: escalate to the team lead, or back to the pool"))

    importer = command(
        "import", cmd_import, _("import leads from a CSV, JSON or XLSX file"),
        _("Import marketing's leads as MQLs in the unassigned pool, all or nothing; the new ones go to "
        "the reps when the team has any. CSV with comma, semicolon or tab, UTF-8 (with or without BOM), "
        "UTF-16 or UTF-32 (Excel's Unicode Text, ad platforms' lead exports) or Windows-1252; JSON as an "
        "array of objects or one object per line; XLSX; triage's own exports. Columns and values by their "
        "names in English, German or Dutch (first_name, Vorname, Voornaam, Kanal, Bron, Messe, "
        "Demo-aanvraag, ...), HubSpot's export names, or --map. Dates as 24.11.2026, 24-11-26 or "
        "2026-11-24, with a time or without. The same lead (external id, else email, else phone, else "
        "name and company) is merged, not doubled. Rows that do not validate go, unchanged, to "
        "PATH.rejects.csv with the reason. Not for the review board. Exit 0 when all rows were "
        "imported, 1 when some were rejected, 2 when the file cannot be read."))
    importer.add_argument("path", metavar="PATH", help=_("the file"))
    importer.add_argument("--encoding", metavar="NAME", help=_("the CSV's encoding when detection is wrong (e.g. cp1252)"))
    importer.add_argument("--map", action="append", metavar="COLUMN=FIELD",
                          help=_("read COLUMN as FIELD (repeatable), e.g. --map 'Telefon geschäftlich=phone'"))

    export = command(
        "export", cmd_export, _("export returned leads, leads, nurture segments, the suppression list or the balance"),
        _("Export for the review board and marketing: returned (every return with reason, path, note, rep, "
        "channel, dates and what became of the lead later), leads (every field), suppression (emails "
        "marketing must not contact now: leads sales is working), segments (the leads marketing nurtures: "
        "new ones never handed over apart from those sales returned to nurture, with the return's reason "
        "and the stage reached; marketing and team leads), balance (per rep figures). CSV is "
        "UTF-8 with a byte-order mark for Excel; a cell that would run as a formula gets a leading "
        "apostrophe, which triage import takes back. XLSX cells are typed (text, numbers, dates) with a "
        "frozen header and a filter. Dates and times are ISO 8601 (2026-11-24T09:30:00+00:00) in CSV "
        "and JSON. An export of leads imports again field for field."))
    export.add_argument("kind", choices=["returned", "leads", "segments", "suppression", "balance"], metavar="KIND",
                        help=_("returned, leads, segments, suppression or balance"))
    export.add_argument("-o", "--output", required=True, metavar="PATH", help=_("the file, or - for standard output"))
    export.add_argument("--format", choices=["csv", "xlsx", "json"], help=_("default: from the file's suffix, else csv"))
    export.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help=_("from this day on (returned: by return date)"))
    export.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help=_("up to and including this day"))
    export.add_argument("--excel", choices=["de", "en", "nl"], metavar="LANG",
                        help=_("CSV for the Excel of this language: de or nl (German, Dutch: semicolons, "
                             "decimal commas), en (commas, decimal points; the default)"))
    export.add_argument("--delimiter", type=_delimiter, metavar="CHAR",
                        help=_("the CSV's delimiter: ',', ';', 'tab' or '|' (default ','; ';' with --excel de or nl)"))

    database = commands.add_parser(
        "db", parents=[common], help=_("the database: check that it is reachable and migrated"),
        description=_("The database triage works on (--db or $TRIAGE_DB)."))
    database.set_defaults(handler=lambda args, out: database.error(_("choose check")), command_parser=database)
    database_commands = database.add_subparsers(title=_("commands"), metavar="COMMAND")
    check = database_commands.add_parser(
        "check", parents=[common], help=_("is the database reachable and migrated?"),
        description=_("Connect to the database and say whether it is reachable and at the schema "
                    "version this triage expects; exit 0 when it is, 1 when not. Changes nothing."))
    check.set_defaults(handler=cmd_db_check, command_parser=check)

    scoring_command("rescore", cmd_scoring_rescore, _("score every lead again by the rules in force"),
                    _("Score every lead that other rules scored, in batches, with progress on a terminal."))

    serve = command(
        "serve", cmd_serve, _("the live hand-over: an HTTP service for marketing automation"),
        _("Serve the live hand-over with marketing automation (HubSpot and its peers): POST /api/leads "
        "(leads as `triage import` reads them), POST /api/events (activity signals: mails opened and "
        "clicked, pages viewed, forms, demo and audit requests, which hand leads to sales as the rules' "
        "[handover] table says), POST /webhooks/hubspot (HubSpot's signed contact events; the app secret "
        "in $TRIAGE_HUBSPOT_SECRET), GET /api/suppression and /healthz. Every /api call needs "
        "'Authorization: Bearer TOKEN' (triage token add). Sales' decisions go out to the rules' "
        "[[webhooks]], signed, retried until delivered. Run by marketing or a team lead."))
    serve.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (default 127.0.0.1: "
                                                           "this machine only)"))
    serve.add_argument("--port", type=_count, default=8765, help=_("the port (default 8765)"))
    serve.add_argument("--public-url", default="", metavar="URL",
                       help=_("the address HubSpot calls, when a proxy stands in front (for its signature)"))

    web = command(
        "web", cmd_web, _("the app in a browser (textual-serve)"),
        _("Serve the app to a browser: each tab runs its own app on the same database, as the same "
        "member as in a terminal (--db, --as and --demo as for every command). Listens on this "
        "machine only unless --host says otherwise; Ctrl+C ends it and every app it started."))
    web.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (default 127.0.0.1: "
                                                         "this machine only)"))
    web.add_argument("--port", type=_count, default=8000, help=_("the port (default 8000)"))

    token = commands.add_parser("token", parents=[common], help=_("API tokens of triage serve: add, list, revoke"),
                                description=_("The tokens marketing automation sends as 'Authorization: "
                                            "Bearer TOKEN'. Only a hash of each is stored."))
    token.set_defaults(handler=lambda args, out: token.error(_("choose add, list or revoke")), command_parser=token)
    token_commands = token.add_subparsers(title=_("commands"), metavar="COMMAND")
    for name, handler, help_text, description in (
            ("add", cmd_token_add, _("make a token and print it, once (team lead)"),
             _("Make a token and print it, once (team lead).")),
            ("revoke", cmd_token_revoke, _("stop a token working at once (team lead)"),
             _("Stop a token working at once (team lead).")),
            ("list", cmd_token_list, _("the tokens, without their values"), _("The tokens, without their values."))):
        sub = token_commands.add_parser(name, parents=[common], help=help_text, description=description)
        sub.set_defaults(handler=handler, command_parser=sub)
        if name != "list":
            sub.add_argument("name", metavar="NAME", help=_("what the token is for, e.g. hubspot"))

    webhooks = commands.add_parser("webhooks", parents=[common], help=_("the webhooks' deliveries: log"),
                                   description=_("What `triage serve` sent to the rules' [[webhooks]]."))
    webhooks.set_defaults(handler=lambda args, out: webhooks.error(_("choose log")), command_parser=webhooks)
    webhook_commands = webhooks.add_subparsers(title=_("commands"), metavar="COMMAND")
    webhook_log = webhook_commands.add_parser(
        "log", parents=[common], help=_("each delivery: delivered, or failing and when it is tried next"),
        description=_("The latest deliveries to the webhooks, newest first: what, where, how many attempts, "
                    "the last answer or error, and when the next attempt is."))
    webhook_log.set_defaults(handler=cmd_webhooks_log, command_parser=webhook_log)
    webhook_log.add_argument("--limit", type=_count, default=50, help=_("how many (default 50)"))
    webhook_log.add_argument("--json", action="store_true", help=_("a JSON array"))
    return parser


# ---------------------------------------------------------------------------------------
# Running


def validation_message(exc: ValidationError) -> str:
    """The first error of a pydantic validation as 'field: message'."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", exc)).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _fail(message: object) -> int:
    print(_("{prog}: error: {message}").format(prog=PROG, message=one_line(message)), file=sys.stderr)
    return 1


def _tolerant(stream: TextIO) -> None:
    """A terminal that cannot show "→" or "ü" gets a replacement, not an exception."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):
            pass


def _defaults(args: argparse.Namespace) -> argparse.Namespace:
    args.db_given = getattr(args, "db_given", None)
    args.demo = getattr(args, "demo", False)
    if args.demo and args.db_given:
        raise UsageError(_("--demo and --db name two databases: give one of them"))
    args.db = demo_db() if args.demo else args.db_given or default_db()
    args.existing_only = args.handler in EXISTING_ONLY
    args.login_given = getattr(args, "login", None)
    args.login = args.login_given or default_login()
    args.rules = getattr(args, "rules", None)
    return args


def service_for(argv: list[str]):
    """The service `triage ARGV` works with: its database, who acts, the rules in force."""
    return _service(_defaults(build_parser().parse_args(argv)))


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run one `triage` command; the exit status: 0 done, 1 refused or failed, 2 usage."""
    language.use(language.choose(_language_given(sys.argv[1:] if argv is None else argv)))
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out or sys.stdout
    _tolerant(out)
    try:
        _defaults(args)
        return args.handler(args, out)
    except UsageError as exc:
        getattr(args, "command_parser", parser).error(str(exc))  # exits with status 2
        raise
    except ValidationError as exc:
        return _fail(validation_message(exc))
    except (MissingDatabase, LeadNotFound) as exc:
        if args.demo and isinstance(exc, MissingDatabase):
            return _fail(_("there is no demo database yet at {path}: `{prog} demo` creates it").format(
                path=exc.path, prog=PROG))
        hint = _demo_hint(args)
        if hint and isinstance(exc, MissingDatabase):
            return _fail(f"{MissingDatabase.missing(exc.path)}; {hint}")
        if hint and _default_is_empty(args):
            return _fail(f"{exc}; {hint}")
        return _fail(exc)
    except TriageError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print(_("{prog}: interrupted").format(prog=PROG), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`triage list | head`): stop quietly, and keep Python's
        # final flush from failing on the closed pipe too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # never a traceback for the user; TRIAGE_DEBUG=1 shows it
        if os.environ.get(DEBUG_ENV):
            raise
        return _fail(_("unexpected {kind}: {problem} (set {variable}=1 for the traceback)").format(
            kind=type(exc).__name__, problem=exc, variable=DEBUG_ENV))


if __name__ == "__main__":
    raise SystemExit(main())
