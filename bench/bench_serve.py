"""`triage serve`: activity signals per second from one client on a keep-alive connection,
one event per call and in batches, into SQLite. Each answer comes only once its call is
committed. Prints the figures; asserts nothing.

    python bench/bench_serve.py [--events 5000] [--batch 100]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.cli.main import main  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(url: str, *args: str) -> str:
    out = io.StringIO()
    assert main(["--db", url, *args], out=out) == 0
    return out.getvalue()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--profile", metavar="PATH", help="run the server under cProfile, its figures into PATH")
    options = parser.parse_args()
    os.environ["LOGNAME"] = "lena"  # the team lead seeds, makes the token and runs the server
    folder = Path(tempfile.mkdtemp(prefix="triage-bench-serve-"))
    url = f"sqlite:///{folder / 'serve.db'}"
    run(url, "seed", "--leads", str(options.leads), "--reps", "4")
    token = run(url, "token", "add", "bench").strip()
    emails = [lead["email"] for lead in json.loads(run(url, "list", "--json")) if lead["email"]]
    port = free_port()
    profile = ["-m", "cProfile", "-o", options.profile] if options.profile else []
    server = subprocess.Popen([sys.executable, *profile, "-m", "triage.cli", "--db", url, "serve", "--port",
                               str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              env=dict(os.environ))
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(300):
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                connection.close()
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def send(body: list[dict]) -> None:
            connection.request("POST", "/api/events", body=json.dumps(body), headers=headers)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, answer.status

        def event(number: int) -> dict:
            return {"email": emails[number % len(emails)], "type": "email_opened", "url": f"mail-{number % 7}"}

        for number in range(50):  # warm up
            send([event(number)])
        start = time.perf_counter()
        for number in range(options.events):
            send([event(number)])
        single = options.events / (time.perf_counter() - start)
        calls = max(1, options.events // options.batch)
        start = time.perf_counter()
        for call in range(calls):
            send([event(call * options.batch + offset) for offset in range(options.batch)])
        batched = calls * options.batch / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(10)
    print(f"triage serve into SQLite, one client, keep-alive, {options.leads} leads:")
    print(f"  one event per call:        {single:8,.0f} events/s  ({options.events:,} calls)")
    print(f"  {options.batch} events per call:      {batched:8,.0f} events/s  ({calls:,} calls)")


if __name__ == "__main__":
    main_bench()
