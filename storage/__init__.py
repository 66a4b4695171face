"""Storage through peewee: the only package that talks to the database."""

from .db import SCHEMA_VERSION, default_url, open_database, schema_version, write_transaction
from .repository import LeadRepository

__all__ = ["LeadRepository", "SCHEMA_VERSION", "default_url", "open_database", "schema_version", "write_transaction"]
