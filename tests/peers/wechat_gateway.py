"""The WeChat test peer: Wechaty's mock puppet, served to python-wechaty on loopback.

`WechatGateway` runs `tests/peers/wechat/gateway.js`, one Node process that serves a mock WeChat
account through wechaty-puppet-service (gRPC, no TLS, on 127.0.0.1) and takes orders over a small
JSON API (also on 127.0.0.1): set up the bot, contacts and rooms; make a contact say something;
read back what the bot said; rename a contact.

    with WechatGateway() as gateway:
        gateway.setup(
            contacts=[{"id": "alice", "name": "Alice"}],
            rooms=[{"id": "room-1@chatroom", "topic": "Grid 1", "members": ["alice"]}],
        )
        # point python-wechaty at gateway.endpoint with gateway.token, wait for its login, then:
        gateway.say("alice", "@gridbot 楼道灯坏了", room="room-1@chatroom", mentions=["gridbot"])
        replies = gateway.wait_said(1)

The bot's id and name default to "gridbot"; it is a member of every room. The Node packages are
pinned in `tests/peers/wechat/package.json`; `ensure_installed()` installs them when missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, NotRequired, TypedDict

from tests.peers.process import free_port, terminate

PEER_DIR = Path(__file__).resolve().parent / "wechat"
GATEWAY_JS = PEER_DIR / "gateway.js"
HOST = "127.0.0.1"


class GatewayError(RuntimeError):
    """The gateway could not be installed or started, or refused a request."""


class ContactSpec(TypedDict):
    """A WeChat contact: its id (no "@" in it) and display name."""

    id: str
    name: str


class RoomSpec(TypedDict):
    """A WeChat group: its id (must contain "@", e.g. "room-1@chatroom"), topic and members."""

    id: str
    topic: NotRequired[str]
    members: NotRequired[list[str]]


class Said(TypedDict):
    """One text the bot sent: the message id, the room or contact id, the text, the mentions."""

    id: str
    to: str
    text: str
    mentions: list[str]


def ensure_installed(timeout: float = 600.0) -> None:
    """Install the gateway's Node packages (`npm install`) unless node_modules is already there."""
    if (PEER_DIR / "node_modules" / "wechaty-puppet-service").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise GatewayError(
            "npm is not installed: the WeChat gateway needs Node.js 16 or newer and npm "
            "(on Debian: apt-get install nodejs npm)"
        )
    # `npm ci` would refuse the lockfile: it lacks the non-Linux builds of an optional package.
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise GatewayError(
            f"npm install failed in {PEER_DIR} (exit {result.returncode}):\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


class WechatGateway:
    """A running mock WeChat account for python-wechaty, with a test-side control API.

    Ports are picked on the first `start()` and kept across `restart()`, so a bot that was
    connected finds the gateway again at the same `endpoint`. What was set up (and renamed) is
    replayed on restart; the list of what the bot said starts empty again.
    """

    def __init__(
        self,
        *,
        token: str = "gridbot-test-token",
        bot: ContactSpec | None = None,
        start_timeout: float = 30.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.token = token
        self.start_timeout = start_timeout
        self.request_timeout = request_timeout
        self.grpc_port: int | None = None
        self.http_port: int | None = None
        self._bot = bot
        self._contacts: dict[str, ContactSpec] = {}
        self._rooms: dict[str, RoomSpec] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    # ----------------------------------------------------------------- lifecycle

    @property
    def endpoint(self) -> str:
        """Where python-wechaty connects: WECHATY_PUPPET_SERVICE_ENDPOINT, "127.0.0.1:PORT"."""
        if self.grpc_port is None:
            raise GatewayError("the gateway has not been started")
        return f"{HOST}:{self.grpc_port}"

    @property
    def running(self) -> bool:
        """Whether the gateway process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the gateway and wait until it serves; installs the Node packages if needed."""
        if self.running:
            return
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise GatewayError(
                "node is not installed: the WeChat gateway needs Node.js 16 or newer"
            )
        first_start = self.grpc_port is None
        for attempt in range(3):
            if first_start:
                self.grpc_port, self.http_port = free_port(), free_port()
            try:
                self._spawn(node)
                return
            except GatewayError as error:
                # Another process may have taken a freshly picked port: pick again.
                if not first_start or "EADDRINUSE" not in str(error) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _spawn(self, node: str) -> None:
        assert self.grpc_port is not None and self.http_port is not None
        fd, log_name = tempfile.mkstemp(prefix="wechat-gateway-", suffix=".log")
        self._log_path = Path(log_name)
        args = [
            node,
            str(GATEWAY_JS),
            "--grpc-port",
            str(self.grpc_port),
            "--http-port",
            str(self.http_port),
            "--token",
            self.token,
            "--watch-stdin",  # the gateway exits if this test process dies without stopping it
        ]
        setup = self._setup_payload()
        if setup:
            args += ["--setup", json.dumps(setup)]
        with os.fdopen(fd, "wb") as log:
            self._process = subprocess.Popen(
                args, cwd=PEER_DIR, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if any(line.startswith("ready ") for line in self.output().splitlines()):
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise GatewayError(f"the WeChat gateway did not start:\n{output}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the gateway (SIGTERM, then SIGKILL after `timeout` seconds); a no-op if stopped."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process, timeout)
            if process.stdin is not None:
                process.stdin.close()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def restart(self) -> None:
        """Stop and start again on the same ports, with the same setup."""
        self.stop()
        self.start()

    def __enter__(self) -> WechatGateway:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def output(self) -> str:
        """What the gateway printed so far (stdout and stderr), for diagnostics."""
        if self._log_path is None:
            return ""
        with contextlib.suppress(FileNotFoundError):
            return self._log_path.read_text(encoding="utf-8", errors="replace")
        return ""

    # --------------------------------------------------------------- control API

    def setup(
        self,
        *,
        contacts: Iterable[ContactSpec] = (),
        rooms: Iterable[RoomSpec] = (),
        bot: ContactSpec | None = None,
    ) -> dict[str, Any]:
        """Create or update the bot, contacts and rooms; returns the gateway's state.

        Safe to repeat. Everything named must exist: room members are contact ids (the bot is
        added to every room). Changing the bot's id once set up is refused.
        """
        contacts, rooms = list(contacts), list(rooms)
        body: dict[str, Any] = {"contacts": contacts, "rooms": rooms}
        if bot is not None:
            body["bot"] = bot
        state: dict[str, Any] = self._request("POST", "/setup", body)
        if bot is not None:
            self._bot = bot
        self._contacts.update({contact["id"]: contact for contact in contacts})
        for room in rooms:
            merged = self._rooms.get(room["id"], {"id": room["id"]})
            merged.update(room)
            self._rooms[room["id"]] = merged
        return state

    def say(
        self,
        sender: str,
        text: str,
        *,
        room: str | None = None,
        mentions: Iterable[str] = (),
    ) -> str:
        """Contact `sender` says `text` in `room` (mentioning `mentions`), or privately to the
        bot when no room is given. Returns the new message's id.

        The text is sent as given: write "@Name" into it yourself, as WeChat clients do.
        """
        body: dict[str, Any] = {"from": sender, "text": text, "mentions": list(mentions)}
        if room is not None:
            body["room"] = room
        reply: dict[str, str] = self._request("POST", "/say", body)
        return reply["id"]

    def said(self) -> list[Said]:
        """Every text the bot sent since the gateway (re)started, in order."""
        said: list[Said] = self._request("GET", "/said")
        return said

    def wait_said(self, count: int, timeout: float = 10.0) -> list[Said]:
        """Wait until the bot has sent at least `count` texts; returns them all.

        This blocks: if the bot runs in the calling thread's event loop, use `wait_said_async`.
        """
        deadline = time.monotonic() + timeout
        while True:
            said = self.said()
            if len(said) >= count:
                return said
            if time.monotonic() >= deadline:
                raise GatewayError(
                    f"the bot sent {len(said)} texts, not {count}, in {timeout} s: {said}"
                )
            time.sleep(0.05)

    async def wait_said_async(self, count: int, timeout: float = 10.0) -> list[Said]:
        """`wait_said` for a test whose bot runs in the same event loop: it polls without
        blocking the loop, so the bot can go on handling messages and replying meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            said = await asyncio.to_thread(self.said)
            if len(said) >= count:
                return said
            if time.monotonic() >= deadline:
                raise GatewayError(
                    f"the bot sent {len(said)} texts, not {count}, in {timeout} s: {said}"
                )
            await asyncio.sleep(0.05)

    def rename(self, contact_id: str, name: str) -> None:
        """Change a contact's display name."""
        self._request("POST", "/rename", {"id": contact_id, "name": name})
        if contact_id in self._contacts:
            self._contacts[contact_id] = {"id": contact_id, "name": name}
        if self._bot is not None and self._bot["id"] == contact_id:
            self._bot = {"id": contact_id, "name": name}

    def state(self) -> dict[str, Any]:
        """The gateway's view: {loggedIn, bot, contacts, rooms}."""
        state: dict[str, Any] = self._request("GET", "/state")
        return state

    def wait_logged_in(self, timeout: float = 30.0) -> None:
        """Wait until a bot has connected and the mock account is logged in.

        The account stays logged in when a bot drops its connection without stopping the puppet.
        """
        deadline = time.monotonic() + timeout
        while not self.state()["loggedIn"]:
            if time.monotonic() >= deadline:
                raise GatewayError(f"no bot logged in within {timeout} s")
            time.sleep(0.05)

    def _setup_payload(self) -> dict[str, Any]:
        """What was set up so far, to replay on restart."""
        if self._bot is None and not self._contacts and not self._rooms:
            return {}
        payload: dict[str, Any] = {
            "contacts": list(self._contacts.values()),
            "rooms": list(self._rooms.values()),
        }
        if self._bot is not None:
            payload["bot"] = self._bot
        return payload

    def _request(self, method: str, path: str, body: object = None) -> Any:
        if not self.running or self.http_port is None:
            raise GatewayError("the gateway is not running")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"http://{HOST}:{self.http_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read())["error"]
            except (ValueError, KeyError):
                message = error.reason
            raise GatewayError(f"{method} {path}: {error.code} {message}") from None
