"""A Telegram Bot API emulator on loopback, for end-to-end tests of the Telegram adapter.

`TelegramEmulator` runs ``tests/peers/telegram/launcher.js``: the npm package telegram-test-api
4.2.1, with routes of our own that make python-telegram-bot 22 work against it, on 127.0.0.1 at a
free port. The bot under test talks to it as to the real Bot API::

    with TelegramEmulator() as emulator:
        application = (
            ApplicationBuilder()
            .token(emulator.token)
            .base_url(emulator.bot_base_url)
            .base_file_url(emulator.file_base_url)
            .build()
        )

and the test plays the people in the chats through the emulator's own endpoints:
`user_says` and `user_command` post their messages (which the bot then gets from getUpdates), and
`bot_messages` reads back everything the bot sent. `stop` and `start` (or `restart`) take the
platform away and bring it back on the same port with the same messages, pending updates and ids.

The emulator is a Node.js program: `ensure_installed` runs `npm install` the first time.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypedDict

import httpx

from tests.peers.process import free_port, terminate

PEER_DIR = Path(__file__).resolve().parent / "telegram"
LAUNCHER = PEER_DIR / "launcher.js"

BOT_ID = 666
BOT_USERNAME = "TestNameBot"  # fixed by telegram-test-api
TEST_TOKEN = f"{BOT_ID}:AAGridbotEmulatorTestToken"
HOST = "127.0.0.1"

ChatType = Literal["private", "group", "supergroup"]
_MENTION = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")
_OUTPUT_LINES = 500


class EmulatorError(RuntimeError):
    """The emulator could not be installed, started or asked something."""


class SentMessage(TypedDict):
    """One message the bot sent, as the test side reads it back."""

    message_id: int
    chat_id: int
    kind: Literal["text", "photo", "document"]
    text: str  # the message text, or the caption of a photo or document ("" when it has none)
    entities: list[dict[str, Any]]  # `entities`, or `caption_entities` for a photo or document
    reply_to_message_id: int | None
    file_size: int | None  # bytes of the photo or document
    edited: bool
    raw: dict[str, Any]  # the whole message as the emulator stored it


def ensure_installed() -> None:
    """Install the emulator's npm package in tests/peers/telegram unless it is there already."""
    if (PEER_DIR / "node_modules" / "telegram-test-api" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise EmulatorError(
            "npm is not installed: the Telegram end-to-end tests run a Bot API emulator on "
            "Node.js 18 or later (on Debian: apt-get install nodejs npm)"
        )
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise EmulatorError(
            f"npm install in {PEER_DIR} failed with exit code {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise EmulatorError(
            "node is not installed: the Telegram emulator needs Node.js 18 or later"
        )
    return node


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _mention_entities(text: str) -> list[dict[str, Any]]:
    """The `mention` entities a Telegram client adds for each @username in a text."""
    return [
        {
            "type": "mention",
            "offset": _utf16_len(text[: match.start()]),
            "length": _utf16_len(match.group()),
        }
        for match in _MENTION.finditer(text)
    ]


def _sent_message(message: dict[str, Any]) -> SentMessage:
    kind: Literal["text", "photo", "document"] = "text"
    file_size: int | None = None
    if message.get("photo"):
        kind = "photo"
        file_size = max(size.get("file_size", 0) for size in message["photo"])
    elif message.get("document"):
        kind = "document"
        file_size = message["document"].get("file_size")
    reply = message.get("reply_to_message")
    return SentMessage(
        message_id=message["message_id"],
        chat_id=message["chat"]["id"],
        kind=kind,
        text=message.get("text", message.get("caption", "")),
        entities=message.get("entities", message.get("caption_entities", [])),
        reply_to_message_id=reply["message_id"] if reply else None,
        file_size=file_size,
        edited="edit_date" in message,
        raw=message,
    )


class TelegramEmulator:
    """The Telegram platform for one test: a Bot API emulator process and the chats' users."""

    def __init__(self, *, token: str = TEST_TOKEN, startup_timeout: float = 30.0) -> None:
        self.token = token
        self.startup_timeout = startup_timeout
        self._port: int | None = None
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._output: deque[str] = deque(maxlen=_OUTPUT_LINES)
        self._client: httpx.Client | None = None
        self._state_dir = Path(tempfile.mkdtemp(prefix="telegram-emulator-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._state_dir, True)

    # --- where the bot connects ---

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmulatorError("the Telegram emulator has not been started")
        return self._port

    @property
    def api_url(self) -> str:
        """The emulator's root, e.g. http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`."""
        return f"{self.api_url}/bot"

    @property
    def file_base_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"{self.api_url}/file/bot"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def output(self) -> list[str]:
        """The emulator's latest log lines (stdout and stderr), for diagnosing a failure."""
        return list(self._output)

    # --- the process ---

    def start(self) -> None:
        """Start the emulator and wait until it listens.

        The first start takes a free port; later ones (after `stop`) reuse it and bring back the
        messages, pending updates and id counters the emulator had when it was stopped.
        """
        if self.running:
            raise EmulatorError("the Telegram emulator is already running")
        ensure_installed()
        if self._port is None:
            self._port = free_port()
        ready = threading.Event()
        self._output.clear()
        process = subprocess.Popen(
            [_node(), str(LAUNCHER), str(self._port)],
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TELEGRAM_EMULATOR_STATE": str(self._state_dir / "state.json")},
        )
        self._process = process
        self._reader = threading.Thread(
            target=self._read_output, args=(process, f"ready {self._port}", ready), daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + self.startup_timeout
        while not ready.wait(0.05):
            if process.poll() is not None:
                problem = f"exited with code {process.returncode} before listening"
            elif time.monotonic() > deadline:
                problem = f"did not listen within {self.startup_timeout:g} s"
            else:
                continue
            self.stop()
            raise EmulatorError(
                f"the Telegram emulator on port {self._port} {problem}:\n" + "\n".join(self._output)
            )

    def _read_output(
        self, process: subprocess.Popen[str], ready_line: str, ready: threading.Event
    ) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            self._output.append(line)
            if line == ready_line:
                ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the emulator (SIGTERM, then SIGKILL after `timeout`); its state is kept."""
        process, self._process = self._process, None
        if process is None:
            return
        terminate(process, timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if process.stdout is not None:
            process.stdout.close()

    def restart(self) -> None:
        """Stop and start again on the same port, as a platform outage would."""
        self.stop()
        self.start()

    # The same from a coroutine: the blocking part runs in a thread, so the bot under test keeps
    # running on its event loop during the outage (polling, failing, backing off) as it would
    # against the real platform.

    async def astart(self) -> None:
        """`start` without blocking the event loop."""
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop)

    async def arestart(self) -> None:
        """`restart` without blocking the event loop."""
        await asyncio.to_thread(self.restart)

    def close(self) -> None:
        """Stop the emulator and forget its state."""
        self.stop()
        if self._client is not None:
            self._client.close()
            self._client = None
        self._cleanup()

    def __enter__(self) -> TelegramEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- the test side's endpoints ---

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if not self.running:
            raise EmulatorError("the Telegram emulator is not running")
        if self._client is None:
            self._client = httpx.Client(base_url=self.api_url, timeout=10.0, trust_env=False)
        try:
            response = self._client.post(path, json=payload)
            body = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise EmulatorError(f"POST {path} to the Telegram emulator failed: {err}") from err
        if not body.get("ok"):
            raise EmulatorError(f"POST {path}: {body.get('description') or body}")
        return body.get("result")

    def _user_message(
        self,
        path: str,
        chat_id: int,
        text: str,
        entities: list[dict[str, Any]],
        *,
        user_id: int,
        first_name: str,
        chat_type: ChatType,
        chat_title: str,
        reply_to_message_id: int | None,
        username: str | None,
    ) -> int:
        sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = chat_title
        if username is not None:
            sender["username"] = username
            if chat_type == "private":
                chat["username"] = username
        message: dict[str, Any] = {
            "botToken": self.token,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message_id"] = reply_to_message_id
        result = self._post(path, message)
        message_id: int = result["message_id"]
        return message_id

    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int,
        first_name: str,
        chat_type: ChatType = "supergroup",
        chat_title: str = "test group",
        reply_to_message_id: int | None = None,
        username: str | None = None,
    ) -> int:
        """A user writes `text` in a chat; returns the new message's id.

        @usernames in the text get `mention` entities, as a Telegram client would add.
        `reply_to_message_id` must name a message of that chat (the user's or the bot's).
        """
        return self._user_message(
            "/sendMessage",
            chat_id,
            text,
            _mention_entities(text),
            user_id=user_id,
            first_name=first_name,
            chat_type=chat_type,
            chat_title=chat_title,
            reply_to_message_id=reply_to_message_id,
            username=username,
        )

    def user_command(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int,
        first_name: str,
        chat_type: ChatType = "supergroup",
        chat_title: str = "test group",
        reply_to_message_id: int | None = None,
        username: str | None = None,
    ) -> int:
        """A user sends a command such as ``/done 1 ok`` or ``/done@TestNameBot 1 ok``.

        The text must start with the command; it gets the `bot_command` entity that Telegram
        (and the emulator) put on it. Returns the new message's id.
        """
        command = text.split(maxsplit=1)[0] if text.strip() else ""
        if not re.fullmatch(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{5,32})?", command):
            raise ValueError(f"not a bot command: {text!r}")
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        return self._user_message(
            "/sendCommand",
            chat_id,
            text,
            [entity, *_mention_entities(text[len(command) :])],
            user_id=user_id,
            first_name=first_name,
            chat_type=chat_type,
            chat_title=chat_title,
            reply_to_message_id=reply_to_message_id,
            username=username,
        )

    def bot_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Everything the bot has sent (texts, photos, documents), oldest first.

        Edited messages appear once, as they are now; deleted ones not at all.
        """
        history: list[dict[str, Any]] = self._post("/getUpdatesHistory", {"token": self.token})
        sent = [
            _sent_message(entry["message"])
            for entry in history
            if entry.get("message", {}).get("from", {}).get("id") == BOT_ID
            and entry["message"]["from"].get("is_bot")
        ]
        sent.sort(key=lambda message: message["message_id"])
        return [m for m in sent if chat_id is None or m["chat_id"] == chat_id]

    def photos(self, chat_id: int | None = None) -> list[SentMessage]:
        """The photos the bot has sent, oldest first."""
        return [m for m in self.bot_messages(chat_id) if m["kind"] == "photo"]

    async def wait_for_bot_messages(
        self, count: int, *, chat_id: int | None = None, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait, without blocking the event loop the bot runs on, until the bot has sent at
        least `count` messages (in `chat_id`, if given); returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.bot_messages(chat_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                texts = [m["text"] for m in messages]
                raise TimeoutError(
                    f"the bot sent {len(messages)} of {count} expected messages "
                    f"within {timeout:g} s: {texts}"
                )
            await asyncio.sleep(0.05)
