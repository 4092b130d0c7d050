"""WeChat, through python-wechaty and a Wechaty puppet service: room messages in, `room.say`
with @mentions out, private messages to people, images.

Install with the `wechat` extra (`pip install 'gridbot[wechat]'`): python-wechaty 0.10.7 needs
old pins of its own. Rooms and people are identified by the puppet's stable ids; display names
are refreshed from the platform now and then, since people change them.

python-wechaty's own start() sleeps a minute after the puppet service goes away; this adapter
runs its own connection loop instead and is back within a second of the service's return.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import logging
import os
import shutil
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime

from wechaty_puppet.schemas.puppet import PuppetOptions

# python-wechaty's WechatyOptions has PuppetOptions() as a dataclass default, which Python 3.11
# refuses unless the class is hashable; this must happen before `wechaty` is imported.
PuppetOptions.__hash__ = object.__hash__
if "CACHE_DIR" not in os.environ:  # wechaty keeps a job store there; ours goes when we do
    _CACHE = tempfile.mkdtemp(prefix="gridbot-wechaty-")
    os.environ["CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

from wechaty import FileBox, Message, Wechaty, WechatyOptions  # noqa: E402
from wechaty_puppet import MessageType  # noqa: E402

from bot.messages import InboundMessage, MessageKind, OutboundMessage, Platform  # noqa: E402
from bot.ports import DeliveryError, MessageSink  # noqa: E402

_LOGGER = logging.getLogger(__name__)
CONNECT_TIMEOUT = 30.0
RECONNECT_SECONDS = (0.5, 30.0)  # first wait, longest wait
NAME_REFRESH_SECONDS = 600.0

_KINDS = {
    MessageType.MESSAGE_TYPE_TEXT: MessageKind.TEXT,
    MessageType.MESSAGE_TYPE_IMAGE: MessageKind.IMAGE,
    MessageType.MESSAGE_TYPE_AUDIO: MessageKind.VOICE,
    MessageType.MESSAGE_TYPE_VIDEO: MessageKind.VIDEO,
    MessageType.MESSAGE_TYPE_ATTACHMENT: MessageKind.FILE,
    MessageType.MESSAGE_TYPE_EMOTICON: MessageKind.STICKER,
    MessageType.MESSAGE_TYPE_URL: MessageKind.LINK,
}
_MENTION_GAP = ("\u2005", " ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class WechatAdapter:
    """The WeChat side of gridbot (see `bot.ports.ChatAdapter`)."""

    platform = Platform.WECHAT.value

    def __init__(self, *, endpoint: str, token: str) -> None:
        self._endpoint = endpoint
        self._token = token
        self._bot: Wechaty | None = None
        self._sink: MessageSink | None = None
        self._connected = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._names: dict[str, tuple[str, float]] = {}  # id → (display name, when asked)
        self.name = ""

    async def start(self, sink: MessageSink) -> None:
        """Connect to the puppet service and pass every room message to `sink`.

        Raises:
            DeliveryError: no connection within CONNECT_TIMEOUT seconds.
        """
        self._sink = sink
        options = WechatyOptions(
            puppet="wechaty-puppet-service",
            puppet_options=PuppetOptions(end_point=self._endpoint, token=self._token),
            host="127.0.0.1",
            port=_free_port(),  # python-wechaty's plugin server; it refuses a busy port
        )
        bot = Wechaty(options)
        bot.on("ready", self._on_ready)
        bot.on("logout", self._on_logout)
        bot.on("message", self._on_message)
        self._bot = bot
        self._supervisor = asyncio.create_task(self._stay_connected(bot))
        try:
            await asyncio.wait_for(self._connected.wait(), CONNECT_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise DeliveryError(
                f"no WeChat puppet service answered at {self._endpoint} within "
                f"{CONNECT_TIMEOUT:.0f} s (is it running, is the token right?)"
            ) from None
        _LOGGER.info("wechat: connected as %s via %s", self.name or "?", self._endpoint)

    async def _stay_connected(self, bot: Wechaty) -> None:
        """Run the puppet's event stream; when it ends, connect again with growing waits."""
        wait = RECONNECT_SECONDS[0]
        while True:
            started = time.monotonic()
            try:
                await bot.init_puppet()
                await bot.init_puppet_event_bridge(bot.puppet)
                await bot.puppet.start()  # returns or raises when the stream ends
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _LOGGER.warning("wechat: connection to %s lost: %s", self._endpoint, exc)
            self._connected.clear()
            with contextlib.suppress(Exception):
                await bot.puppet.stop()
            if time.monotonic() - started > 60:
                wait = RECONNECT_SECONDS[0]
            _LOGGER.info("wechat: reconnecting in %.1f s", wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_SECONDS[1])

    async def _on_ready(self, *_: object) -> None:
        if self._bot is not None and self._bot.puppet.login_user_id:
            with contextlib.suppress(Exception):
                me = self._bot.Contact(self._bot.puppet.login_user_id)
                await me.ready()
                self.name = me.name
        if not self._connected.is_set():
            _LOGGER.info("wechat: ready")
        self._connected.set()

    async def _on_logout(self, *_: object) -> None:
        _LOGGER.warning("wechat: the account logged out")
        self._connected.clear()

    async def stop(self) -> None:
        """Disconnect; unsent replies stay in the outbox."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await supervisor
        if self._bot is not None:
            with contextlib.suppress(Exception):
                await self._bot.puppet.stop()
        self._connected.clear()
        _LOGGER.info("wechat: disconnected")

    async def _on_message(self, message: Message) -> None:
        if self._sink is None or message.is_self():
            return
        converted = await self.inbound(message)
        if converted is not None:
            await self._sink(converted)

    async def inbound(self, message: Message) -> InboundMessage | None:
        """The platform-neutral form of a room message; None for private chats."""
        room = message.room()
        if room is None:
            return None
        talker = message.talker()
        name = await self._current_name(talker.contact_id, talker.name)
        mentions = tuple(message.payload.mention_ids or ())
        text = message.text() or ""
        if self._bot is not None and self._bot.puppet.login_user_id in mentions:
            text = self._without_own_mention(text)
        when = message.date()
        return InboundMessage(
            platform=self.platform,
            chat_id=room.room_id,
            message_id=message.message_id,
            sender_id=talker.contact_id,
            sender_name=name or talker.contact_id,
            text=text,
            # python-wechaty gives the machine's local time without a zone.
            time=when.astimezone(UTC) if when else datetime.now(UTC),
            kind=_KINDS.get(message.type(), MessageKind.OTHER),
            mentions=mentions,
        )

    def _without_own_mention(self, text: str) -> str:
        """ "@网格助手 /list" is a command to us: the core reads "/list"."""
        if self.name and text.startswith(f"@{self.name}"):
            rest = text[len(self.name) + 1 :]
            if rest[:1] in _MENTION_GAP:
                return rest[1:].lstrip()
        return text

    async def _current_name(self, contact_id: str, known: str) -> str:
        """A person's display name, asked of the platform again every NAME_REFRESH_SECONDS
        (the talker python-wechaty hands over may come from a cache that outlived a rename or
        a reconnect)."""
        cached = self._names.get(contact_id)
        if cached is not None and time.monotonic() - cached[1] < NAME_REFRESH_SECONDS:
            return cached[0]
        name = known
        if self._bot is not None:
            with contextlib.suppress(Exception):
                fresh = self._bot.Contact(contact_id)
                await fresh.ready(force_sync=True)
                name = fresh.name or known
        self._names[contact_id] = (name, time.monotonic())
        return name

    async def send(self, message: OutboundMessage) -> str:
        """Post in a room (with @mentions) or to a person; returns WeChat's message id."""
        bot = self._bot
        if bot is None or not self._connected.is_set():
            raise DeliveryError("wechat is not connected")
        try:
            # Not Room.load / Contact.load: their cache is shared by every connection and
            # would hand back objects bound to a puppet that is gone after a reconnect.
            target = bot.Contact(message.chat_id) if message.direct else bot.Room(message.chat_id)
            await target.ready()
            if message.image is not None:
                picture = FileBox.from_base64(
                    base64.b64encode(message.image).decode(), name="chart.png"
                )
                await target.say(picture)
            if message.direct:
                sent = await target.say(message.text)
            else:
                # room.say writes "@name" in front of the text for each mention itself.
                sent = await target.say(
                    message.text, mention_ids=[m.user_id for m in message.mentions]
                )
        except Exception as exc:
            raise DeliveryError(f"wechat: {type(exc).__name__}: {exc}") from exc
        return sent.message_id if sent is not None else f"wechat-{uuid.uuid4().hex}"
