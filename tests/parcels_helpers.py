"""Real local receivers for notification tests, and a small estate to check parcels into.

``HttpReceiver`` is an HTTP server on 127.0.0.1 that Apprise's ``json://`` URL posts to;
``SmtpReceiver`` is an aiosmtpd server Apprise's ``mailto://`` URL sends to. Both record
what arrived, so tests assert the message a resident would get. Both stop at teardown.
"""

from __future__ import annotations

import email
import json
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from shiftdesk.config import Settings
from shiftdesk.db import Actor, transact
from shiftdesk.models import Building, Resident, Role, Unit
from shiftdesk.names import search_keys
from shiftdesk.sites import add_operator, ensure_site, ensure_system_operator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpReceiver:
    """Collects JSON posts; ``fail_next`` makes the next N requests answer 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                data = self.rfile.read(length)
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.paths.append(self.path)
                receiver.received.append(json.loads(data.decode("utf-8")))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "notify", extra: str = "") -> str:
        return f"json://127.0.0.1:{self.port}/{path}{extra}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class SmtpReceiver:
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def url(self, to: str = "resident@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=desk@example.com&to={to}&mode=insecure"

    @staticmethod
    def text(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


# ---------------------------------------------------------------------------- a tiny estate


@dataclass
class Estate:
    site_id: int
    wangfang: Actor
    lina: Actor
    #: 1-1-101: owner 张伟 (phone 13800138000), tenant 李娜娜
    unit_a: str = "1-1-101"
    #: 1-1-102: 王芳芳, who asked not to be notified (P-8)
    unit_dnd: str = "1-1-102"
    #: 1-1-201: nobody on file
    unit_vacant: str = "1-1-201"


def make_estate(engine: Engine, settings: Settings) -> Estate:
    """Site, three units, three residents, two operators: enough for every parcel rule."""

    def build(session: Session) -> Estate:
        site = ensure_site(session, settings)
        ensure_system_operator(session)
        assert site.id is not None
        ops = {
            name: add_operator(
                session,
                name=name,
                pin=pin,
                role=Role.OPERATOR,
                site_id=site.id,
                display_name=display,
            )
            for name, display, pin in (("wangfang", "王芳", "1111"), ("lina", "李娜", "2222"))
        }
        building = Building(site_id=site.id, code="1", name="1号楼")
        session.add(building)
        session.flush()
        assert building.id is not None
        units = {
            code: Unit(
                site_id=site.id,
                building_id=building.id,
                code=code,
                entrance="1",
                floor=int(code[-3]),
                room=code[-3:],
            )
            for code in ("1-1-101", "1-1-102", "1-1-201")
        }
        session.add_all(units.values())
        session.flush()

        def resident(unit: str, name: str, phone: str, kind: str = "owner", **kw: Any) -> None:
            full, initials = search_keys(name)
            unit_id = units[unit].id
            assert unit_id is not None
            session.add(
                Resident(
                    site_id=site.id,
                    unit_id=unit_id,
                    name=name,
                    pinyin=full,
                    initials=initials,
                    phone=phone,
                    kind=kind,
                    **kw,
                )
            )

        resident("1-1-101", "李娜娜", "13900139000", kind="tenant")
        resident("1-1-101", "张伟", "13800138000")
        resident(
            "1-1-102",
            "王芳芳",
            "13700137000",
            do_not_notify=True,
            do_not_notify_note="on a trip until the 30th, will collect",
        )
        session.flush()
        actors = {n: Actor(name=n, id=op.id) for n, op in ops.items()}
        return Estate(site_id=site.id, wangfang=actors["wangfang"], lina=actors["lina"])

    return transact(engine, build)
