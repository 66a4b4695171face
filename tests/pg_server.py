"""A throwaway PostgreSQL server, for the tests and the benchmarks.

The server binaries (`initdb`, `pg_ctl`) must be on PATH. PostgreSQL refuses to run as
root, so as root the cluster belongs to the `postgres` user and is started through
`runuser`. It listens on a free loopback port only.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_USER = "triage"
#: The superuser's password: logins over TCP need one, so a member's password matters.
PG_PASSWORD = "triage-tests"


class PostgresServer:
    def __init__(self, *, tls: bool = False) -> None:
        #: With a self-signed certificate, so that a client may ask for an encrypted connection.
        self.tls = tls
        self.base = Path(tempfile.mkdtemp(prefix="triage-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self._numbers = itertools.count(1)

    def _run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> None:
        if self.as_root:
            account = pwd.getpwnam("postgres")
            os.chown(self.base, account.pw_uid, account.pw_gid)
        password_file = self.base / "password"
        password_file.write_text(PG_PASSWORD + "\n")
        if self.as_root:
            os.chown(password_file, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", f"--pwfile={password_file}", "--no-sync",
                  "-E", "UTF8", "--no-instructions")
        if self.tls:
            subprocess.run(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
                            "-keyout", str(self.data / "server.key"), "-out", str(self.data / "server.crt")],
                           check=True, capture_output=True)
            for name in ("server.key", "server.crt"):
                (self.data / name).chmod(0o600)
                if self.as_root:
                    os.chown(self.data / name, account.pw_uid, account.pw_gid)
        self._pg_ctl_start()

    def _pg_ctl_start(self) -> None:
        # fsync off: a test server need not survive a power cut, only a server restart.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        if self.tls:
            options += " -c ssl=on"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def restart(self) -> None:
        """Stop the server hard and start it again: every open connection is lost."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._pg_ctl_start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def login_url(self, login: str, password: str, database: str) -> str:
        """A URL for another login: TCP, so the server checks the password."""
        return f"postgresql://{login}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"test_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
