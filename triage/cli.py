"""The `triage` command: the app, demo data, and the rep's decisions for scripting."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable, TextIO

from pydantic import ValidationError

from .checklist import checklist
from .errors import TriageError
from .models import Lead, ReturnDecision, ReturnPath, ReturnReason, Role, Stage, TeamMember
from .text import one_line, printable

PROG = "triage"


class UsageError(Exception):
    """A bad argument: exit 2, as argparse does."""


def default_login() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or "rep"


def _service(args: argparse.Namespace):
    from storage import LeadRepository, open_database

    from .services import LeadService

    return LeadService(LeadRepository(open_database(args.db)), args.login)


def _demo_url() -> str:
    from platformdirs import user_data_dir

    return "sqlite:///" + str(Path(user_data_dir("triage", appauthor=False)) / "demo.db")


def _run_app(service) -> int:
    from screens.app import TriageApp

    TriageApp(service).run()
    return 0


def cmd_app(args: argparse.Namespace, out: TextIO) -> int:
    return _run_app(_service(args))


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    args.db = args.db or _demo_url()
    service = _service(args)
    if service.store.count_leads() == 0:
        print(f"seeding 500 demo leads into {args.db} ...", file=out)
        _seed(service, leads=500, reps=5, seed=0, assign=False)
    return _run_app(service)


def _seed(service, *, leads: int, reps: int, seed: int, assign: bool) -> list[TeamMember]:
    from .seed import demo_leads, demo_team

    team = demo_team(reps, seed)
    for member in team:
        service.store.add_team_member(member)
    service.store.add_team_member(
        TeamMember(login=service.actor, name=service.actor, role=Role.LEAD)
    )
    owners = [member.login for member in team] if assign and team else None
    service.store.add_leads(demo_leads(leads, seed, owners=owners))
    return team


def cmd_seed(args: argparse.Namespace, out: TextIO) -> int:
    if args.leads < 0 or args.reps < 0:
        raise UsageError("--leads and --reps must not be negative")
    if args.assign and args.reps == 0:
        raise UsageError("--assign needs at least one rep (--reps K)")
    service = _service(args)
    _seed(service, leads=args.leads, reps=args.reps, seed=args.seed, assign=args.assign)
    where = "assigned to the reps" if args.assign else "in the unassigned pool"
    print(f"seeded {args.leads} leads ({where}) and {args.reps} reps; {args.login} is team lead", file=out)
    return 0


def lead_json(lead: Lead) -> dict[str, Any]:
    return lead.model_dump(mode="json")


LIST_HEADER = f"{'id':>8}  {'stage':<12} {'owner':<10} {'score':>5}  {'name':<28} {'company':<28} {'channel':<14} interest"


def _list_line(lead: Lead) -> str:
    return (
        f"{lead.id:>8}  {lead.stage.value:<12} {one_line(lead.owner or '-')[:10]:<10} {lead.score:>5}  "
        f"{one_line(lead.name)[:28]:<28} {one_line(lead.company)[:28]:<28} {lead.channel.value:<14} "
        f"{lead.interest.value}"
    )


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    leads = service.store.list_leads(stage=args.stage, owner=args.owner, limit=args.limit)
    if args.json:
        out.write("[")
        for index, lead in enumerate(leads):
            out.write(("," if index else "") + "\n  " + json.dumps(lead_json(lead), ensure_ascii=False))
        out.write("\n]\n")
        return 0
    print(LIST_HEADER, file=out)
    for lead in leads:
        print(_list_line(lead), file=out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    lead = service.lead(args.id)
    history = service.history(args.id)
    items = checklist(lead)
    if args.json:
        payload = lead_json(lead)
        payload["checklist"] = [
            {"question": item.question, "answer": item.answer, "verdict": item.verdict.value} for item in items
        ]
        payload["history"] = [event.model_dump(mode="json", exclude={"lead_id"}) for event in history]
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
        return 0
    contact = " ".join(part for part in (lead.salutation, lead.name) if part)
    lines = [
        f"#{lead.id} {printable(contact)}, {printable(lead.job_title) or '-'} at {printable(lead.company) or '-'} ({lead.country or '-'})",
        f"  email {printable(lead.email) or '-'}   phone {printable(lead.phone) or '-'}",
        f"  stage {lead.stage.label}   owner {printable(lead.owner or '-')}   score {lead.score}"
        f"   recycled {lead.recycle_count}x   version {lead.version}",
        "checklist:",
        *(f"  {item.question:<13} {printable(item.answer)}" + ("  (!)" if item.verdict.value in ("warn", "bad") else "") for item in items),
    ]
    if lead.notes:
        lines += ["notes:", *("  " + printable(line) for line in lead.notes.splitlines())]
    lines.append("history:")
    lines += [
        f"  {event.at.astimezone():%Y-%m-%d %H:%M}  {printable(event.actor)}  {event.action}"
        + (f"  {event.from_stage.label} -> {event.to_stage.label}" if event.from_stage and event.to_stage else "")
        + (f"  {event.reason.value}/{event.path.value}" if event.reason and event.path else "")
        + (f"  {one_line(event.note)}" if event.note else "")
        for event in history
    ] or ["  (none)"]
    print("\n".join(lines), file=out)
    return 0


def cmd_accept(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    before = service.lead(args.id)
    lead = service.accept(args.id)
    print(f"accepted #{lead.id} {one_line(lead.name)}: {before.stage.label} -> {lead.stage.label}", file=out)
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_return(args: argparse.Namespace, out: TextIO) -> int:
    decision = ReturnDecision(reason=args.reason, path=args.path, note=args.note or "", contract_until=args.until)
    service = _service(args)
    before = service.lead(args.id)
    lead = service.return_lead(args.id, decision)
    print(
        f"returned #{lead.id} {one_line(lead.name)} ({decision.reason.value}): "
        f"{before.stage.label} -> {lead.stage.label}",
        file=out,
    )
    return 0


def cmd_recycle(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    lead = service.recycle(args.id)
    print(f"recycled #{lead.id} {one_line(lead.name)}: returned (SRL) -> MQL, "
          f"back in the pool (recycled {lead.recycle_count}x)", file=out)
    return 0


def _choice(enum: type, what: str) -> Callable[[str], Any]:
    def convert(text: str):
        try:
            return enum(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {text!r}; choose from {', '.join(member.value for member in enum)}"
            ) from None

    convert.__name__ = what
    return convert


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="database URL, e.g. sqlite:///path/to/triage.db (default: $TRIAGE_DB, "
                             "else triage.db in your data directory)")
    common.add_argument("--as", dest="login", metavar="LOGIN", default=argparse.SUPPRESS,
                        help="who is deciding (default: your login name)")
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[common],
        description="Inside-sales lead triage: work the queue of marketing-qualified leads, "
                    "accept them or return them to marketing. Without a command, opens the app.",
    )
    parser.set_defaults(handler=cmd_app)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", parents=[common], help="open the app on a demo database",
                               description="Open the app on a demo database (demo.db in your data "
                                           "directory unless --db is given), seeding it first if empty.")
    demo.set_defaults(handler=cmd_demo)

    seed = commands.add_parser("seed", parents=[common], help="fill a database with demo leads and reps",
                               description="Fill the database with realistic German, Dutch and English demo "
                                           "leads (MQLs in the unassigned pool unless --assign) and reps; "
                                           "you are added as team lead.")
    seed.add_argument("--leads", type=int, default=500, metavar="N", help="how many leads (default 500)")
    seed.add_argument("--reps", type=int, default=5, metavar="K", help="how many reps (default 5)")
    seed.add_argument("--seed", type=int, default=0, metavar="S", help="random seed: same seed, same data")
    seed.add_argument("--assign", action="store_true", help="spread the leads over the reps round-robin")
    seed.set_defaults(handler=cmd_seed)

    listing = commands.add_parser("list", parents=[common], help="list leads",
                                  description="List leads, oldest first.")
    listing.add_argument("--stage", type=_choice(Stage, "stage"), help="only this stage: "
                         + ", ".join(s.value for s in Stage))
    listing.add_argument("--owner", metavar="LOGIN", help="only leads owned by LOGIN")
    listing.add_argument("--limit", type=int, metavar="N", help="at most N leads")
    listing.add_argument("--json", action="store_true", help="a JSON array with every field")
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", parents=[common], help="one lead, its checklist and history",
                               description="Show one lead with its qualification checklist and history.")
    show.add_argument("id", type=int, help="the lead's id")
    show.add_argument("--json", action="store_true", help="JSON with every field, checklist and history")
    show.set_defaults(handler=cmd_show)

    accept = commands.add_parser("accept", parents=[common], help="accept an MQL (it becomes a SAL)",
                                 description="Accept a lead: an MQL becomes a sales-accepted lead (SAL) owned by you.")
    accept.add_argument("id", type=int, help="the lead's id")
    accept.set_defaults(handler=cmd_accept)

    ret = commands.add_parser("return", parents=[common], help="return a lead to marketing",
                              description="Return a lead to marketing: path nurture makes it a returned lead "
                                          "(SRL) that marketing nurtures, path disqualify ends it.")
    ret.add_argument("id", type=int, help="the lead's id")
    ret.add_argument("--reason", required=True, type=_choice(ReturnReason, "reason"),
                     help="; ".join(f"{r.value}: {r.label}" for r in ReturnReason))
    ret.add_argument("--path", required=True, type=_choice(ReturnPath, "path"), help="nurture or disqualify")
    ret.add_argument("--note", metavar="TEXT", help="why (required for reason other)")
    ret.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="end of the contract (reason contract)")
    ret.set_defaults(handler=cmd_return)

    recycle = commands.add_parser("recycle", parents=[common], help="hand a nurtured lead back to sales as an MQL",
                                  description="Marketing hands a returned (nurtured) lead back to sales: it becomes "
                                              "an MQL in the unassigned pool again, and its recycle count goes up.")
    recycle.add_argument("id", type=int, help="the lead's id")
    recycle.set_defaults(handler=cmd_recycle)
    return parser


def _validation_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ()))
    message = error.get("msg", str(exc)).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = getattr(args, "db", None)
    args.login = getattr(args, "login", None) or default_login()
    try:
        return args.handler(args, out)
    except UsageError as exc:
        parser.error(str(exc))
    except ValidationError as exc:
        print(f"{PROG}: error: {printable(_validation_message(exc))}", file=sys.stderr)
    except TriageError as exc:
        print(f"{PROG}: error: {printable(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
