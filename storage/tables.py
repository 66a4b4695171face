"""The peewee tables. Only `storage/` sees these; everything else gets domain objects."""

from __future__ import annotations

import json

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class JsonField(TextField):
    """A list or dict stored as JSON text: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseTable(Model):
    class Meta:
        database = database
        legacy_table_names = False


class MetaRow(BaseTable):
    """Key/value facts about the database itself, such as its schema version."""

    key = CharField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "triage_meta"


class LeadRow(BaseTable):
    id = AutoField()
    salutation = CharField(default="")
    first_name = CharField(default="")
    last_name = CharField(default="")
    email = CharField(default="")
    phone = CharField(default="")
    job_title = CharField(default="")
    company = CharField(default="")
    country = CharField(default="")
    channel = CharField()
    interest = CharField()
    existing_customer = BooleanField(default=False)
    creditworthiness = CharField(default="unknown")
    emails_opened = IntegerField(default=0)
    emails_clicked = IntegerField(default=0)
    pages_visited = IntegerField(default=0)
    forms_filled = IntegerField(default=0)
    notes = TextField(default="")
    score = IntegerField(default=0)
    stage = CharField()
    owner = CharField(null=True)
    recycle_count = IntegerField(default=0)
    version = IntegerField(default=1)
    created_at = DateTimeField()
    handed_over_at = DateTimeField(null=True)
    updated_at = DateTimeField()
    updated_by = CharField(default="")
    #: The priority of `triage.domain.queue_order`, as text of the same order: the queue
    #: is this column's index.
    queue_key = CharField()
    #: Casefolded name, company and email, for the queue's text filter.
    search_text = TextField(default="")
    score_breakdown = JsonField(default=list)
    rules_version = CharField(default="")
    overrides = JsonField(default=dict)
    grade = CharField(default="")
    external_id = CharField(default="")
    extra = JsonField(default=dict)

    class Meta:
        table_name = "lead"


#: The queue pages by key along this index (see `LeadRepository.queue_page`). It carries
#: search_text so that a text filter scans the index alone: 0.13 s instead of 2.4 s for a
#: rare word among a million leads on SQLite.
QUEUE_INDEX_SQL = "CREATE INDEX IF NOT EXISTS lead_queue ON lead (stage, owner, queue_key, id, search_text)"


class AuditRow(BaseTable):
    id = AutoField()
    lead = ForeignKeyField(LeadRow, backref="events", on_delete="CASCADE", index=True)
    actor = CharField()
    at = DateTimeField()
    action = CharField()
    from_stage = CharField(null=True)
    to_stage = CharField(null=True)
    reason = CharField(null=True)
    path = CharField(null=True)
    note = TextField(default="")
    #: The lead's fields as they were before the change, for an undo; NULL when not kept.
    prior = JsonField(null=True)

    class Meta:
        table_name = "audit_event"


class TeamRow(BaseTable):
    login = CharField(primary_key=True)
    name = CharField()
    role = CharField(default="rep")
    capacity = FloatField(default=1.0)
    cap = IntegerField(null=True)
    away = JsonField(default=list)
    countries = JsonField(default=list)
    languages = JsonField(default=list)

    class Meta:
        table_name = "team_member"


class RulesRow(BaseTable):
    """A version of the scoring rules, checklist settings and SLA table as adopted; the
    newest is in force. Rows are only ever added: a revert adds a copy of an older one."""

    id = AutoField()
    version = CharField()
    stamp = CharField()
    text = TextField()
    adopted_by = CharField()
    adopted_at = DateTimeField()
    note = TextField(default="")

    class Meta:
        table_name = "rules_version"


class TokenRow(BaseTable):
    """An API token of `triage serve`: only its SHA-256 is kept, never the token."""

    name = CharField(primary_key=True)
    token_hash = CharField(unique=True)
    created_by = CharField()
    created_at = DateTimeField()
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "api_token"


class IdempotentCallRow(BaseTable):
    """The answer to a call made with an Idempotency-Key, stored in the transaction of
    what the call changed, so that a retried call changes nothing and gets the same answer."""

    id = AutoField()
    token = CharField()
    key = CharField()
    request_hash = CharField()
    status = IntegerField()
    body = TextField()
    at = DateTimeField()

    class Meta:
        table_name = "idempotent_call"
        indexes = ((("token", "key"), True),)


class SignalRow(BaseTable):
    """An activity signal from marketing automation: a mail opened, a page viewed, ..."""

    id = AutoField()
    lead = ForeignKeyField(LeadRow, on_delete="CASCADE", index=True)
    kind = CharField()
    url = TextField(default="")
    at = DateTimeField()
    received_at = DateTimeField()

    class Meta:
        table_name = "activity_signal"


class OutboxRow(BaseTable):
    """A decision marketing is to be told of; written by a trigger with its audit event,
    so in the decision's own transaction, whoever made it."""

    id = AutoField()
    event_id = IntegerField()
    lead_id = IntegerField()
    kind = CharField()
    at = DateTimeField()
    #: Whether its deliveries, one per webhook that wants this kind, are made.
    fanned_out = BooleanField(default=False, index=True)

    class Meta:
        table_name = "outbox"


class DeliveryRow(BaseTable):
    """One outbox entry on its way to one webhook: tried with back-off until delivered."""

    id = AutoField()
    outbox_id = IntegerField()
    url = TextField()
    #: The JSON sent, made once so that every attempt sends (and signs) the same bytes.
    body = TextField()
    attempts = IntegerField(default=0)
    state = CharField(default="pending")  # pending, delivered
    last_status = IntegerField(null=True)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField()
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "webhook_delivery"
        indexes = ((("outbox_id", "url"), True), (("state", "next_attempt_at"), False))


INTEGRATION_TABLES = [TokenRow, IdempotentCallRow, SignalRow, OutboxRow, DeliveryRow]
ALL_TABLES = [MetaRow, LeadRow, AuditRow, TeamRow, RulesRow, *INTEGRATION_TABLES]
