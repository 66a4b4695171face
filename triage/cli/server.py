"""`triage serve`: the HTTP end of the live hand-over with marketing automation.

Built on aiohttp: one well-kept library for both ends of the hand-over, the server that
takes leads and signals in and the client that tells marketing's webhooks of sales'
decisions, on one event loop (uvloop's, the faster implementation of asyncio's), with
keep-alive and body limits built in. Database work runs on the loop's thread, one call
after the other (see `Server.run_db`).

Answers: 2xx only once what was sent is committed; 400 for JSON that does not parse; 422
with each bad field named, nothing of the call stored; 401 without a valid token or
signature; 413 over the body limit. Never a traceback: an unexpected error is logged and
answered 500 with one line, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Awaitable, Callable

from aiohttp import ClientSession, ClientTimeout, web

try:
    import uvloop
except ImportError:  # Windows: asyncio's own loop
    uvloop = None  # type: ignore[assignment]

from triage.domain.errors import TriageError
from triage.domain.language import _
from triage.services.intake import Answer, Intake, Refused, signed, webhook_secret

log = logging.getLogger("triage.serve")

#: The largest body a call may send.
BODY_LIMIT = 8 * 1024 * 1024
#: HubSpot's request timestamp must be this recent.
HUBSPOT_WINDOW_SECONDS = 300
#: How often the outbox is looked at for new decisions and due deliveries.
OUTBOX_SECONDS = 0.5


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def _parsed(raw: bytes) -> Any:
    """The body as JSON; 400 when it is not."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(400, [{"problem": f"the body is not JSON: {exc}"}]) from None


def _problem(status: int, problem: str, field: str = "") -> web.Response:
    return _json(status, {"problems": [{"field": field, "problem": problem} if field else {"problem": problem}]})


class Server:
    def __init__(self, intake: Intake, *, hubspot_secret: str = "", public_url: str = "",
                 body_limit: int = BODY_LIMIT) -> None:
        self.intake = intake
        self.hubspot_secret = hubspot_secret
        self.public_url = public_url.rstrip("/")
        self.body_limit = body_limit
        self._tokens: dict[str, tuple[float, str | None]] = {}

    async def run_db(self, work: Callable[[], Any]) -> Any:
        """Database work, on the event loop's own thread: every call's work is serialised
        anyway (SQLite has one writer; peewee keeps one connection per thread), and handing
        each to a thread of its own and back cost a fifth of a call. A long read (the
        suppression list of a big database) holds other calls up while it runs."""
        return work()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.body_limit, middlewares=[self._errors])
        app.router.add_get("/healthz", self.healthz)
        app.router.add_post("/api/leads", self._api(self.intake.add_leads))
        app.router.add_post("/api/events", self._api(self.intake.record_signals))
        app.router.add_get("/api/suppression", self.suppression)
        app.router.add_post("/webhooks/hubspot", self.hubspot)
        app.on_startup.append(self._start_outbox)
        app.on_cleanup.append(self._stop_outbox)
        return app

    # --- answers -----------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        try:
            return await handler(request)
        except Refused as exc:
            return _json(exc.status, {"problems": exc.problems})
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"the body is over the limit of {self.body_limit:,} bytes")
        except web.HTTPException as exc:
            return _problem(exc.status, exc.reason)
        except TriageError as exc:
            return _problem(409, str(exc))
        except Exception:  # never a traceback in an answer; the log has it
            log.exception("%s %s failed", request.method, request.path)
            return _problem(500, "triage failed on this call; nothing of it was stored. The server log says why.")

    async def _body(self, request: web.Request) -> tuple[bytes, Any]:
        raw = await request.read()
        return raw, _parsed(raw)

    async def _token(self, request: web.Request) -> str:
        """The name of the call's valid token; 401 otherwise. Remembered a second or two,
        so that a revoked token stops working at once but a busy client costs no query."""
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, [{"problem": "send Authorization: Bearer TOKEN (triage token add NAME makes one)"}])
        now = time.monotonic()
        cached = self._tokens.get(token)
        if cached is None or now - cached[0] > 2:
            cached = (now, await self.run_db(lambda: self.intake.token_name(token.strip())))
            self._tokens[token] = cached
        if cached[1] is None:
            raise Refused(401, [{"problem": "the token is not valid (unknown or revoked)"}])
        return cached[1]

    def _api(self, perform: Callable[[Any, str], Answer]):
        async def handler(request: web.Request) -> web.Response:
            name = await self._token(request)
            raw, payload = await self._body(request)
            key = request.headers.get("Idempotency-Key", "").strip() or None
            if key is not None and len(key) > 255:
                raise Refused(422, [{"field": "Idempotency-Key", "problem": "at most 255 characters"}])
            call = request.method.encode() + b" " + request.path.encode() + b"\n" + raw
            answer = await self.run_db(lambda: self.intake.once(name, key, call, lambda: perform(payload, name)))
            return _json(answer.status, answer.body)

        return handler

    async def healthz(self, request: web.Request) -> web.Response:
        await self.run_db(self.intake.tokens)  # the database answers
        return _json(200, {"ok": True})

    async def suppression(self, request: web.Request) -> web.Response:
        await self._token(request)

        def rows() -> list[dict[str, Any]]:
            _columns, found = self.intake.services.transfer.export_rows("suppression")
            return list(found)

        return _json(200, await self.run_db(rows))

    async def hubspot(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self._check_hubspot(request, raw)
        payload = _parsed(raw)
        answer = await self.run_db(lambda: self.intake.once("hubspot", None, raw, lambda: self.intake.hubspot(payload)))
        return _json(answer.status, answer.body)

    def _check_hubspot(self, request: web.Request, raw: bytes) -> None:
        """HubSpot's v3 signature: HMAC-SHA256 of method, URL, body and timestamp with the
        app's secret, base64; the timestamp (milliseconds) at most five minutes old."""
        if not self.hubspot_secret:
            raise Refused(401, [{"problem": "no HubSpot app secret is set (TRIAGE_HUBSPOT_SECRET)"}])
        signature = request.headers.get("X-HubSpot-Signature-v3", "")
        stamp = request.headers.get("X-HubSpot-Request-Timestamp", "")
        if not signature or not stamp.isdigit():
            raise Refused(401, [{"problem": "no X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp"}])
        if abs(time.time() * 1000 - int(stamp)) > HUBSPOT_WINDOW_SECONDS * 1000:
            raise Refused(401, [{"problem": "the request timestamp is more than five minutes off"}])
        urls = {str(request.url)}
        if self.public_url:
            urls.add(self.public_url + request.path_qs)
        for url in urls:
            message = request.method.encode() + url.encode() + raw + stamp.encode()
            expected = base64.b64encode(hmac.new(self.hubspot_secret.encode(), message, hashlib.sha256).digest())
            if hmac.compare_digest(expected, signature.encode()):
                return
        raise Refused(401, [{"problem": "the HubSpot signature does not match"}])

    # --- the outbox --------------------------------------------------------------------

    async def _start_outbox(self, app: web.Application) -> None:
        self._client = ClientSession(timeout=ClientTimeout(total=10))
        self._sender = asyncio.create_task(self._send_forever())

    async def _stop_outbox(self, app: web.Application) -> None:
        self._sender.cancel()
        try:
            await self._sender
        except asyncio.CancelledError:
            pass
        await self._client.close()

    async def _send_forever(self) -> None:
        while True:
            try:
                await self.send_outbox()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("the outbox round failed")
            await asyncio.sleep(OUTBOX_SECONDS)

    async def send_outbox(self) -> None:
        """New decisions made into deliveries; each due delivery sent, signed."""
        def prepare() -> list[dict[str, Any]]:
            self.intake.fan_out(self.intake.webhooks())
            return self.intake.due_deliveries()

        deliveries = await self.run_db(prepare)
        secrets = {hook.url: webhook_secret(hook) for hook in self.intake.webhooks()}
        for delivery in deliveries:
            body = delivery["body"].encode()
            headers = {"Content-Type": "application/json", "X-Triage-Delivery": str(delivery["id"]),
                       "X-Triage-Signature": signed(secrets.get(delivery["url"], ""), body)}
            status, error = None, ""
            try:
                async with self._client.post(delivery["url"], data=body, headers=headers) as answer:
                    status = answer.status
                    if status >= 300:
                        error = f"HTTP {status}"
            except Exception as exc:  # the receiver down, refusing, timing out
                error = f"{type(exc).__name__}: {exc}"[:500]
            await self.run_db(lambda: self.intake.attempted(delivery, status=status, error=error))


def serve(intake: Intake, *, host: str, port: int, hubspot_secret: str, public_url: str = "",
          print_line: Callable[[str], None] = print) -> None:
    intake.check_may_serve()
    server = Server(intake, hubspot_secret=hubspot_secret, public_url=public_url)
    print_line(_("triage serve: {address} (POST /api/leads, /api/events, /webhooks/hubspot; "
                 "GET /api/suppression, /healthz); Ctrl-C stops").format(address=f"http://{host}:{port}"))
    web.run_app(server.app(), host=host, port=port, print=None, access_log=None, handle_signals=True,
                loop=uvloop.new_event_loop() if uvloop is not None else None)
