"""Team mode on PostgreSQL: the database itself knows who may do what.

Every team member connects with a login of their own, named as their triage login, which
belongs to one group role per triage role (`<database>_rep`, `_lead`, `_board`,
`_marketing`: a cluster's roles are shared by its databases, so the groups carry the
database's name). Grants and row-level security decide what each group may write:

- a rep changes only their own leads and the pool's;
- a team lead changes any lead and the team, and adds and ends members' logins;
- marketing brings leads in and hands them over (an import also merges into owned leads);
- the review board reads and changes nothing;
- every audit event is written in the name of the connection's user, and nobody, the
  database's owner included, updates or deletes one.

The database's owner, who runs the migrations, is the first team lead. Logins are made by
`triage_member_login`, a function that runs with the owner's rights and checks that its
caller is a team lead; it is handed a SCRAM verifier, never the password itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

import peewee

from triage.domain.models import Role

GROUP_SUFFIX = {Role.REP: "rep", Role.LEAD: "lead", Role.BOARD: "board", Role.MARKETING: "marketing"}
SCRAM_ITERATIONS = 4096


def quoted(name: str) -> str:
    """`name` as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def database_name(db: peewee.Database) -> str:
    [(name,)] = db.execute_sql("SELECT current_database()").fetchall()
    return name


def group_name(database: str, role: Role) -> str:
    return f"{database[:48]}_{GROUP_SUFFIX[role]}"


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, 7677): the
    server is sent this, so the password itself appears in no statement and no log."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", unicodedata.normalize("NFKC", password).encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    encode = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return (f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{encode(salt)}"
            f"${encode(hashlib.sha256(client_key).digest())}:{encode(server_key)}")


def install(db: peewee.Database) -> None:
    """Groups, grants, policies and the login functions; run by the owner (a migration)."""
    db = _NoParameters(db)  # type: ignore[assignment]
    database = database_name(db)
    groups = {role: group_name(database, role) for role in Role}
    rep, lead, board, marketing = (quoted(groups[role]) for role in (Role.REP, Role.LEAD, Role.BOARD, Role.MARKETING))
    everyone = ", ".join((rep, lead, board, marketing))
    [(owner, may_create_roles)] = db.execute_sql(
        "SELECT current_user, rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchall()
    if not may_create_roles:
        raise peewee.ProgrammingError(
            f"the database's owner {owner} needs the right to create roles for team logins "
            f"(ALTER ROLE {quoted(owner)} CREATEROLE, as a superuser), then run triage again")
    for name in groups.values():
        db.execute_sql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
            f"CREATE ROLE {quoted(name)} NOLOGIN; END IF; END $$")
    db.execute_sql(f"GRANT {lead} TO {quoted(owner)}")
    db.execute_sql(f"GRANT CONNECT ON DATABASE {quoted(database)} TO {everyone}")
    db.execute_sql(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    db.execute_sql("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    db.execute_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {everyone}")
    db.execute_sql(f'GRANT UPDATE ON "lead" TO {rep}, {lead}, {marketing}')
    db.execute_sql(f'GRANT INSERT ON "lead" TO {lead}, {marketing}')
    db.execute_sql(f'GRANT INSERT ON "audit_event" TO {rep}, {lead}, {marketing}')
    db.execute_sql(f'GRANT INSERT, UPDATE, DELETE ON "team_member" TO {lead}')
    db.execute_sql(f'GRANT INSERT ON "rules_version" TO {lead}')
    db.execute_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {rep}, {lead}, {marketing}")

    db.execute_sql('ALTER TABLE "lead" ENABLE ROW LEVEL SECURITY')
    db.execute_sql(f'CREATE POLICY lead_read ON "lead" FOR SELECT TO {everyone} USING (true)')
    # A rep may leave a lead with nobody or themselves (the policy), and may touch only a
    # lead that was theirs or the pool's (the trigger: a policy sees only the new row, and
    # would hide another rep's lead silently rather than refuse it).
    db.execute_sql(
        f'CREATE POLICY lead_rep ON "lead" FOR UPDATE TO {rep} '
        'USING (true) WITH CHECK ("owner" = session_user OR "owner" IS NULL)')
    db.execute_sql(f"""
CREATE OR REPLACE FUNCTION triage_rep_changes_own_leads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD."owner" IS NOT NULL AND OLD."owner" <> session_user
            AND pg_has_role(session_user, {_literal(groups[Role.REP])}, 'MEMBER')
            AND NOT pg_has_role(session_user, {_literal(groups[Role.LEAD])}, 'MEMBER') THEN
        RAISE EXCEPTION 'lead % is assigned to %: a rep changes only their own leads and the pool''s',
            OLD."id", OLD."owner" USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""")
    db.execute_sql('CREATE TRIGGER lead_rep_changes_own BEFORE UPDATE ON "lead" '
                   "FOR EACH ROW EXECUTE FUNCTION triage_rep_changes_own_leads()")
    db.execute_sql(f'CREATE POLICY lead_team_lead ON "lead" FOR ALL TO {lead} USING (true) WITH CHECK (true)')
    db.execute_sql(f'CREATE POLICY lead_marketing ON "lead" FOR ALL TO {marketing} USING (true) WITH CHECK (true)')

    # FORCE: the owner too writes events only in its own name.
    db.execute_sql('ALTER TABLE "audit_event" ENABLE ROW LEVEL SECURITY')
    db.execute_sql('ALTER TABLE "audit_event" FORCE ROW LEVEL SECURITY')
    db.execute_sql('CREATE POLICY audit_read ON "audit_event" FOR SELECT USING (true)')
    db.execute_sql('CREATE POLICY audit_own_name ON "audit_event" FOR INSERT WITH CHECK ("actor" = session_user)')
    # Visible to UPDATE and DELETE only so that the trigger below refuses them out loud.
    db.execute_sql('CREATE POLICY audit_change ON "audit_event" FOR UPDATE USING (true)')
    db.execute_sql('CREATE POLICY audit_delete ON "audit_event" FOR DELETE USING (true)')
    db.execute_sql(
        "CREATE OR REPLACE FUNCTION triage_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the audit trail is append-only: an event is never changed or deleted' "
        "USING ERRCODE = 'insufficient_privilege'; END $$")
    db.execute_sql('CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON "audit_event" '
                   "FOR EACH ROW EXECUTE FUNCTION triage_audit_append_only()")
    db.execute_sql('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON "audit_event" '
                   "FOR EACH STATEMENT EXECUTE FUNCTION triage_audit_append_only()")

    marker = f"triage login for database {database}"
    group_list = "ARRAY[" + ", ".join(_literal(name) for name in groups.values()) + "]"
    db.execute_sql(f"""
CREATE OR REPLACE FUNCTION triage_member_login(login text, verifier text, member_group text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    groups text[] := {group_list};
    marker text := {_literal(marker)};
    existing pg_roles;
    other text;
BEGIN
    IF NOT pg_has_role(session_user, {_literal(groups[Role.LEAD])}, 'MEMBER') THEN
        RAISE EXCEPTION 'only a team lead may add or change team members' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT member_group = ANY (groups) THEN
        RAISE EXCEPTION '% is not a triage group of this database', member_group;
    END IF;
    SELECT * INTO existing FROM pg_roles WHERE rolname = login;
    IF FOUND THEN
        IF existing.rolsuper OR shobj_description(existing.oid, 'pg_authid') IS DISTINCT FROM marker THEN
            RAISE EXCEPTION 'a database role % exists already and is not a login of this team', login
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('ALTER ROLE %I LOGIN', login);
    ELSE
        EXECUTE format('CREATE ROLE %I LOGIN', login);
        EXECUTE format('COMMENT ON ROLE %I IS %L', login, marker);
    END IF;
    IF verifier IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L', login, verifier);
    END IF;
    FOREACH other IN ARRAY groups LOOP
        IF other <> member_group THEN
            EXECUTE format('REVOKE %I FROM %I', other, login);
        END IF;
    END LOOP;
    EXECUTE format('GRANT %I TO %I', member_group, login);
END $$""")
    db.execute_sql(f"""
CREATE OR REPLACE FUNCTION triage_end_login(login text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    groups text[] := {group_list};
    marker text := {_literal(marker)};
    other text;
BEGIN
    IF NOT pg_has_role(session_user, {_literal(groups[Role.LEAD])}, 'MEMBER') THEN
        RAISE EXCEPTION 'only a team lead may remove team members' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF shobj_description((SELECT oid FROM pg_roles WHERE rolname = login), 'pg_authid')
            IS DISTINCT FROM marker THEN
        RETURN;
    END IF;
    FOREACH other IN ARRAY groups LOOP
        EXECUTE format('REVOKE %I FROM %I', other, login);
    END LOOP;
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
END $$""")
    for function in ("triage_member_login(text, text, text)", "triage_end_login(text)"):
        db.execute_sql(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        db.execute_sql(f"GRANT EXECUTE ON FUNCTION {function} TO {lead}")


def grant_integration(db: peewee.Database) -> None:
    """Grants on the tables of `triage serve` (schema version 12): read by every member;
    tokens made by team leads; signals, idempotent answers and deliveries written by the
    member running the server (marketing or a team lead)."""
    if not _is_team_database(db):
        return
    database = database_name(db)
    rep, lead, board, marketing = (quoted(group_name(database, role))
                                   for role in (Role.REP, Role.LEAD, Role.BOARD, Role.MARKETING))
    db.execute_sql(f"GRANT SELECT ON api_token, idempotent_call, activity_signal, outbox, webhook_delivery "
                   f"TO {rep}, {lead}, {board}, {marketing}")
    db.execute_sql(f"GRANT INSERT, UPDATE ON api_token TO {lead}")
    db.execute_sql(f"GRANT INSERT ON idempotent_call, activity_signal TO {lead}, {marketing}")
    db.execute_sql(f"GRANT INSERT, UPDATE ON webhook_delivery TO {lead}, {marketing}")
    db.execute_sql(f"GRANT UPDATE (fanned_out) ON outbox TO {lead}, {marketing}")
    db.execute_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {rep}, {lead}, {marketing}")


def _is_team_database(db: peewee.Database) -> bool:
    """Whether migration 11 made this database's groups."""
    [(found,)] = db.execute_sql("SELECT count(*) FROM pg_roles WHERE rolname = %s",
                                (group_name(database_name(db), Role.LEAD),)).fetchall()
    return bool(found)


def set_login(db: peewee.Database, login: str, role: Role, password: str | None) -> None:
    """Create or change `login`'s database login in `role`'s group (the caller is a team lead)."""
    verifier = None if password is None else scram_verifier(password)
    db.execute_sql("SELECT triage_member_login(%s, %s, %s)",
                   (login, verifier, group_name(database_name(db), role)))


def end_login(db: peewee.Database, login: str) -> None:
    db.execute_sql("SELECT triage_end_login(%s)", (login,))


class _NoParameters:
    """Runs statements that take no parameters: psycopg reads `%` as a placeholder in any
    statement, so the `%I` and `%L` of `format()` are doubled on the way."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db

    def execute_sql(self, sql: str, params: tuple | None = None):
        return self.db.execute_sql(sql.replace("%", "%%") if params is None else sql, params)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
