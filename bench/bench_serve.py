"""`triage serve`: activity signals per second from one client on a keep-alive connection,
one event per call and in batches, into SQLite. Each answer comes only once its call is
committed. Prints the figures; asserts nothing.

One event per call is timed twice: from a lean client (one socket, each request written
whole, each answer read to its Content-Length before the next call: what an automation
tool's HTTP client does), and from Python's `http.client`, whose own parsing of every
answer's headers costs about as long as the server's HTTP handling, so that it measures
the client as much as triage.

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


class LeanClient:
    """HTTP/1.1 on one keep-alive socket: a request written whole, its answer read to the
    end of its body (Content-Length) and its status checked before the next one."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.socket = socket.create_connection((host, port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = (f"POST /api/events HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: ").encode()
        self.buffer = b""

    def post_events(self, body: bytes) -> None:
        self.socket.sendall(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._receive()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in header.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(rest) < length:
            rest += self._receive()
        self.buffer = rest[length:]
        assert status == 200, (status, rest[:length])

    def _receive(self) -> bytes:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("triage serve closed the connection")
        return chunk

    def close(self) -> None:
        self.socket.close()


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
        single_http_client = options.events / (time.perf_counter() - start)
        lean = LeanClient("127.0.0.1", port, token)
        for number in range(50):
            lean.post_events(json.dumps([event(number)]).encode())
        bodies = [json.dumps([event(number)]).encode() for number in range(options.events)]
        start = time.perf_counter()
        for body in bodies:
            lean.post_events(body)
        single = options.events / (time.perf_counter() - start)
        lean.close()
        calls = max(1, options.events // options.batch)
        start = time.perf_counter()
        for call in range(calls):
            send([event(call * options.batch + offset) for offset in range(options.batch)])
        batched = calls * options.batch / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(10)
    print(f"triage serve into SQLite, one client, keep-alive, {options.leads} leads:")
    print(f"  one event per call:        {single:8,.0f} events/s  ({options.events:,} calls, a lean client)")
    print(f"  one event per call:        {single_http_client:8,.0f} events/s  ({options.events:,} calls, http.client)")
    print(f"  {options.batch} events per call:      {batched:8,.0f} events/s  ({calls:,} calls)")


if __name__ == "__main__":
    main_bench()
