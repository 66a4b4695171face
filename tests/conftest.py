"""Fixtures: a throwaway PostgreSQL server started by the tests themselves.

Each test that asks for `pg_url` gets a database of its own on one server per session,
stopped when the session ends. Set TRIAGE_TEST_POSTGRES=skip to run without PostgreSQL
(the PostgreSQL variants are then skipped, loudly); CI never sets it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from pg_server import PostgresServer

SKIP_ENV = "TRIAGE_TEST_POSTGRES"


@pytest.fixture(scope="session", autouse=True)
def session_cache_folder(tmp_path_factory):
    """What triage caches (each year's public holidays) goes into a folder of the session,
    for the tests and the processes they start, not into the user's own cache folder."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(scope="session")
def postgres_server():
    if os.environ.get(SKIP_ENV) == "skip":
        pytest.skip(f"PostgreSQL tests skipped: {SKIP_ENV}=skip")
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.fail("the PostgreSQL server binaries (initdb, pg_ctl) are not on PATH; "
                    f"install them, or set {SKIP_ENV}=skip to run without PostgreSQL")
    server = PostgresServer(tls=True)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.fail(f"could not start PostgreSQL: {exc.stderr or exc.stdout}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server) -> str:
    return postgres_server.new_database()
