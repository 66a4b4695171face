"""Marketing automation's live end, for `triage serve`: its tokens, its activity signals,
its leads and HubSpot's webhook calls, and the outbox of decisions told back to it.

Everything one call sends is stored in one transaction, or nothing of it is: a signal for
a lead triage does not know, or one bad field, refuses the whole call with each problem
named. The answer to a call made with an Idempotency-Key is kept in that same transaction,
so that the call retried after a lost answer changes nothing and gets the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from pydantic import TypeAdapter, ValidationError

from triage.domain.language import N_, _
from triage.domain.errors import TriageError
from triage.domain.handover import ActivitySignal, apply_signals, signal_time
from triage.domain.models import AuditEvent, Lead, LeadData, Stage, utcnow
from triage.domain.rules import Webhook
from triage.domain.scoring import score_lead

if TYPE_CHECKING:
    from triage.services import Services

SIGNALS = TypeAdapter(list[ActivitySignal])
#: Back-off between attempts at a webhook that does not answer 2xx: 1 s, 2 s, 4 s ... 5 min.
MAX_BACKOFF_SECONDS = 300


class Refused(TriageError):
    """A call triage will not act on: its HTTP status and the problems, each by field."""

    def __init__(self, status: int, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['problem']}" if p.get("field") else p["problem"]
                                   for p in problems))
        self.status = status
        self.problems = problems


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signed(secret: str, body: bytes) -> str:
    """The signature header's value for a webhook body: HMAC-SHA256, hex."""
    return "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()


def problems_of(error: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [{"field": prefix + ".".join(str(part) for part in item["loc"]),
             "problem": str(item["msg"]).removeprefix("Value error, ")} for item in error.errors(include_url=False)]


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | list[Any]


class Intake:
    """Works through the services of the member who runs `triage serve` (marketing or
    a team lead): their role is checked once, at the start."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.context = services.context
        self.store = services.context.store

    def check_may_serve(self) -> None:
        self.context.may_market(N_("run the live hand-over with marketing automation (triage serve)"))

    # --- tokens ----------------------------------------------------------------------

    def add_token(self, name: str) -> str:
        """A new token for `name` (team lead); shown once, only its hash is stored."""
        self.context.require_team_lead(N_("create API tokens"))
        if not name.strip() or len(name) > 100:
            raise TriageError(_("a token needs a name of 1 to 100 characters, e.g. hubspot"))
        token = "trg_" + secrets.token_urlsafe(32)
        self.store.add_token(name.strip(), token_hash(token), self.context.actor, utcnow())
        return token

    def revoke_token(self, name: str) -> None:
        self.context.require_team_lead(N_("revoke API tokens"))
        if not self.store.revoke_token(name, utcnow()):
            raise TriageError(_("no token called {name} is in use; `triage token list` shows them").format(name=name))

    def tokens(self) -> list[dict[str, Any]]:
        return self.store.tokens()

    def token_name(self, token: str) -> str | None:
        return self.store.token_named_by_hash(token_hash(token)) if token else None

    # --- one call, all or nothing, once -------------------------------------------------

    def once(self, token: str, key: str | None, request: bytes, perform: Callable[[], Answer]) -> Answer:
        """`perform` in one transaction; with an Idempotency-Key, the same answer for the
        same call made again, and a refusal for another call under the same key."""
        digest = hashlib.sha256(request).hexdigest()
        with self.store.transaction():
            if key:
                before = self.store.idempotent_answer(token, key)
                if before is not None:
                    if before[0] != digest:
                        raise Refused(422, [{"field": "Idempotency-Key",
                                             "problem": "used before for a different request"}])
                    return Answer(before[1], json.loads(before[2]))
            answer = perform()
            if key:
                self.store.keep_idempotent_answer(token, key, digest, answer.status,
                                                  json.dumps(answer.body, ensure_ascii=False), utcnow())
        return answer

    # --- activity signals ------------------------------------------------------------

    def record_signals(self, payload: Any, via: str) -> Answer:
        """Signals, one or a list: counts and scores kept current, triggers fired."""
        items = payload if isinstance(payload, list) else [payload]
        try:
            signals = SIGNALS.validate_python(items)
        except ValidationError as exc:
            raise Refused(422, problems_of(exc, "events.")) from None
        by_lead: dict[int, tuple[Lead, list[ActivitySignal]]] = {}
        problems = []
        for number, signal in enumerate(signals):
            lead = self.store.lead_by_key(email=signal.email, external_id=signal.external_id)
            if lead is None:
                named = "external_id" if signal.external_id else "email"
                problems.append({"field": f"events.{number}.{named}",
                                 "problem": f"no lead with this {named.replace('_', ' ')}"})
            else:
                by_lead.setdefault(lead.id, (lead, []))[1].append(signal)
        if problems:
            raise Refused(422, problems)
        handed_over = []
        for lead, lead_signals in by_lead.values():
            moved = self._apply(lead, lead_signals, via)
            if moved:
                handed_over.append(moved)
        return Answer(200, {"signals": len(signals), "leads": len(by_lead), "handed_over": handed_over})

    def _apply(self, lead: Lead, signals: list[ActivitySignal], via: str) -> dict[str, Any] | None:
        rules = self.context.rules
        outcome = apply_signals(lead, signals, self.store.mails_seen(lead.id), rules.handover)
        now = utcnow()
        self.store.add_signals(lead.id, [(s.type, s.url, signal_time(s)) for s in signals], now)
        changes: dict[str, Any] = dict(outcome.changes)
        action, to_stage = "activity", None
        note = f"{len(signals)} signal{'s' if len(signals) != 1 else ''} via {via}: " + ", ".join(
            s.shown() for s in signals[:5]) + (" …" if len(signals) > 5 else "")
        if outcome.trigger:
            note = f"{outcome.trigger} ({', '.join(outcome.fired_by[:5])}) via {via}"
        if outcome.to_stage is not None:
            to_stage = outcome.to_stage
            changes |= {"stage": to_stage, "handed_over_at": now, "owner": None}
            if lead.stage is Stage.RETURNED:
                action = "recycle"
                changes["recycle_count"] = lead.recycle_count + 1
            else:
                action = "hand_over"
        elif outcome.trigger:
            action = "handover_signal"
        scored = score_lead(lead.model_copy(update=changes), rules)
        changes |= {"score": scored.score, "score_breakdown": scored.parts, "rules_version": scored.rules_version}
        event = AuditEvent(lead_id=lead.id, actor=self.context.signature, at=now, action=action,
                           from_stage=lead.stage if to_stage else None, to_stage=to_stage, note=note[:2000])
        self.store.change(lead, changes, event)
        if to_stage is None:
            return None
        return {"id": lead.id, "trigger": outcome.trigger, "from": lead.stage.value, "to": to_stage.value}

    # --- leads -------------------------------------------------------------------------

    def add_leads(self, payload: Any, via: str) -> Answer:
        """Leads, one or a list, with the fields and aliases of `triage import` (HubSpot's
        property names included), checked and merged exactly as an import does: through
        the import itself, so that the two can never differ. Any bad row refuses them all."""
        from triage.files import importing

        items = payload if isinstance(payload, list) else [payload]
        if not items or not all(isinstance(item, dict) for item in items):
            raise Refused(422, [{"field": "leads", "problem": "expected a lead (a JSON object) or a list of them"}])
        with tempfile.TemporaryDirectory(prefix="triage-api-") as folder:
            path = Path(folder) / f"{via}.json"
            path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
            try:
                reading = importing.read(path, rules=self.context.rules, now=utcnow(), separate_process=False)
                rejects = [reject for batch in reading.batches for reject in batch.rejects]
            except importing.UnreadableFile as exc:
                raise Refused(422, [{"field": "leads", "problem": str(exc).replace(str(path), "the leads")}]) from None
            if rejects:
                raise Refused(422, [_lead_problem(reject) for reject in rejects])
            summary = self.services.transfer.import_file(path, separate_process=False)
            assigned = self.services.team.assign_imported(summary) if summary.imported else 0
        return Answer(200, {"imported": summary.imported, "merged": summary.merged, "ids": summary.new_lead_ids,
                            "assigned": assigned, "unmapped": summary.unknown_columns})

    # --- HubSpot's webhook calls ------------------------------------------------------

    def hubspot(self, payload: Any) -> Answer:
        """HubSpot's contact events: a created contact becomes a new lead (marketing's,
        not yet handed over), a changed property changes the lead's field as an import
        reads it; a property triage has no field for is kept with the lead."""
        from triage.files import importing
        from triage.services.decisions import new_lead

        events = payload if isinstance(payload, list) else [payload]
        problems, done = [], {"created": 0, "changed": 0, "ignored": 0}
        for number, event in enumerate(events):
            if not isinstance(event, dict) or "objectId" not in event or "subscriptionType" not in event:
                problems.append({"field": f"events.{number}", "problem": "not a HubSpot event (objectId, subscriptionType)"})
        if problems:
            raise Refused(422, problems)
        for event in events:
            kind, contact = str(event["subscriptionType"]), str(event["objectId"])
            lead = self.store.lead_by_key(external_id=contact)
            if kind == "contact.creation":
                if lead is None:
                    self.store.add_leads([new_lead(LeadData(external_id=contact), stage=Stage.NEW)])
                    done["created"] += 1
                continue
            if kind != "contact.propertyChange" or lead is None:
                done["ignored"] += 1
                continue
            name, value = str(event.get("propertyName", "")), str(event.get("propertyValue") or "")
            fields, _unknown = importing.column_map([name, "external_id"], {})
            target = fields.get(name)
            if target is None:
                changes: dict[str, Any] = {"extra": {**lead.extra, name: value}}
            else:
                conversion = importing.Conversion([name, "external_id"], fields, [])
                valid, _converted, rejects = conversion.batch([(1, [value, contact])])
                if rejects:
                    raise Refused(422, [{"field": name, "problem": rejects[0].error.partition(": ")[2]
                                         or rejects[0].error}])
                changes = {target: valid[0][importing.FIELD_AT[target]]}
            scored = score_lead(lead.model_copy(update=changes), self.context.rules)
            changes |= {"score": scored.score, "score_breakdown": scored.parts, "rules_version": scored.rules_version}
            self.store.change(lead, changes, AuditEvent(lead_id=lead.id, actor=self.context.signature, at=utcnow(),
                                                        action="hubspot", note=f"{name} changed in HubSpot"))
            done["changed"] += 1
        return Answer(200, done)

    # --- the outbox ------------------------------------------------------------------

    def webhooks(self) -> tuple[Webhook, ...]:
        """The webhooks of the rules in force, read again when a team lead adopted others."""
        found = self.store.rules_in_force()
        number = None if found is None else found.number
        if number != getattr(self, "_rules_number", "unread"):
            self.context.rules = self.services.scoring.rules_in_force() if found is None else found.rules()
            self._rules_number = number
        return self.context.rules.webhooks

    def fan_out(self, webhooks: tuple[Webhook, ...]) -> int:
        """Make each new decision a delivery to every webhook that wants its kind."""
        made = 0
        for outbox_id, lead_id, kind, event, lead in self.store.outbox_to_fan_out():
            body = decision_body(outbox_id, kind, event, lead)
            deliveries = [(hook.url, body) for hook in webhooks if kind in hook.events]
            self.store.fan_out(outbox_id, deliveries, utcnow())
            made += len(deliveries)
        return made

    def due_deliveries(self) -> list[dict[str, Any]]:
        return self.store.due_deliveries(utcnow())

    def attempted(self, delivery: dict[str, Any], *, status: int | None, error: str) -> None:
        delivered = status is not None and 200 <= status < 300
        now = utcnow()
        wait = min(MAX_BACKOFF_SECONDS, 2 ** delivery["attempts"])
        self.store.record_attempt(delivery["id"], delivered=delivered, status=status, error=error, at=now,
                                  next_attempt_at=now + timedelta(seconds=wait))

    def deliveries(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.store.deliveries(limit)


def _lead_problem(reject: Any) -> dict[str, str]:
    field, _colon, problem = reject.error.partition(": ")
    at = f"leads.{reject.line - 1}"
    return {"field": f"{at}.{field}", "problem": problem} if problem else {"field": at, "problem": reject.error}


def webhook_secret(hook: Webhook) -> str:
    return os.environ.get(hook.secret_env, "") if hook.secret_env else hook.secret


def decision_body(outbox_id: int, kind: str, event: AuditEvent | None, lead: Lead | None) -> str:
    """What a webhook is sent: the decision and who it was about, so that marketing can
    stop contacting a lead sales works, or nurture a returned one."""
    body: dict[str, Any] = {"id": outbox_id, "event": kind}
    if event is not None:
        body |= {"at": event.at.isoformat(), "by": event.actor, "from_stage": event.from_stage,
                 "to_stage": event.to_stage, "reason": event.reason, "path": event.path, "note": event.note}
    if lead is not None:
        body["lead"] = {"id": lead.id, "email": lead.email, "external_id": lead.external_id,
                        "first_name": lead.first_name, "last_name": lead.last_name, "company": lead.company,
                        "stage": lead.stage.value, "recycle_count": lead.recycle_count}
    return json.dumps(body, ensure_ascii=False, default=str)

