"""Telegram, through python-telegram-bot: group messages in, replies, mentions and photos out.

Long polling by default, a webhook as an option. The token comes from the environment; a
self-hosted Bot API server (and the tests' emulator) is reached through `api_url`.

A bot in a Telegram group only sees ordinary messages when its privacy mode is off (BotFather
/setprivacy → Disable, then add it to the group again) or when it is a group administrator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Bot, MessageEntity, ReplyParameters, Update, User
from telegram import Message as TelegramMessage
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.messages import InboundMessage, MessageKind, OutboundMessage, Platform
from bot.ports import DeliveryError, MessageSink

_LOGGER = logging.getLogger(__name__)
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How to reach Telegram (see `bot.config.TelegramConfig`)."""

    token: str
    api_url: str | None = None
    mode: str = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443


def utf16_length(text: str) -> int:
    """Telegram counts entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _kind(message: TelegramMessage) -> MessageKind:
    if message.text is not None:
        return MessageKind.TEXT
    for attribute, kind in (
        ("photo", MessageKind.IMAGE),
        ("voice", MessageKind.VOICE),
        ("audio", MessageKind.VOICE),
        ("video", MessageKind.VIDEO),
        ("video_note", MessageKind.VIDEO),
        ("document", MessageKind.FILE),
        ("sticker", MessageKind.STICKER),
    ):
        if getattr(message, attribute):
            return kind
    return MessageKind.OTHER


def inbound(message: TelegramMessage, bot_username: str) -> InboundMessage | None:
    """The platform-neutral form of a group message; None for what gridbot does not read
    (private chats, channel posts, service messages without a sender)."""
    if message.chat.type not in _GROUPS or message.from_user is None:
        return None
    text = message.text or message.caption or ""
    # "/done@gridbot 12 …" is addressed to us: the core reads it as "/done 12 …". A command
    # addressed to another bot keeps its suffix and the core leaves it alone.
    if bot_username and text.startswith("/"):
        word, _, rest = text.partition(" ")
        if word.lower().endswith(f"@{bot_username.lower()}"):
            text = word[: -len(bot_username) - 1] + (" " + rest if rest else "")
    entities = message.entities or message.caption_entities or ()
    mentions = tuple(
        str(e.user.id) for e in entities if e.type == MessageEntity.TEXT_MENTION and e.user
    )
    sender = message.from_user
    return InboundMessage(
        platform=Platform.TELEGRAM.value,
        chat_id=str(message.chat.id),
        message_id=str(message.message_id),
        sender_id=str(sender.id),
        sender_name=sender.full_name or sender.username or str(sender.id),
        text=text,
        time=message.date.astimezone(UTC) if message.date else datetime.now(UTC),
        kind=_kind(message),
        reply_to=str(message.reply_to_message.message_id) if message.reply_to_message else None,
        mentions=mentions,
    )


def mention_entities(message: OutboundMessage) -> tuple[str, list[MessageEntity]]:
    """The text with `@name` for each mention in front, and the entities that make each name
    a mention of that user (by id: residents often have no @username)."""
    prefix = ""
    entities = []
    for mention in message.mentions:
        label = f"@{mention.name}"
        if mention.user_id.lstrip("-").isdigit():
            user = User(id=int(mention.user_id), first_name=mention.name, is_bot=False)
            entities.append(
                MessageEntity(
                    type=MessageEntity.TEXT_MENTION,
                    offset=utf16_length(prefix),
                    length=utf16_length(label),
                    user=user,
                )
            )
        prefix += label + " "
    return prefix + message.text, entities


class TelegramAdapter:
    """The Telegram side of gridbot (see `bot.ports.ChatAdapter`)."""

    platform = Platform.TELEGRAM.value

    def __init__(self, settings: TelegramSettings) -> None:
        self._settings = settings
        self._app: Application | None = None  # type: ignore[type-arg]
        self._sink: MessageSink | None = None
        self.username = ""
        self.connected = False  # updates are flowing (polling started or webhook set)

    def _build(self) -> Application:  # type: ignore[type-arg]
        builder = ApplicationBuilder().token(self._settings.token)
        if self._settings.api_url:
            api = self._settings.api_url.rstrip("/")
            builder = builder.base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
        return builder.build()

    async def start(self, sink: MessageSink) -> None:
        """Connect, check the token, and pass every group message to `sink`.

        Raises:
            DeliveryError: the token is refused or the Bot API cannot be reached.
        """
        self._sink = sink
        app = self._build()
        app.add_handler(MessageHandler(filters.ALL & filters.ChatType.GROUPS, self._on_message))
        try:
            await app.initialize()
        except InvalidToken as exc:
            raise DeliveryError(f"Telegram refused the bot token: {exc}", retry=False) from exc
        except TelegramError as exc:
            raise DeliveryError(f"cannot reach the Telegram Bot API: {exc}") from exc
        self.username = app.bot.username or ""
        await app.start()
        assert app.updater is not None
        if self._settings.mode == "webhook":
            assert self._settings.webhook_url
            await app.updater.start_webhook(
                listen=self._settings.webhook_listen,
                port=self._settings.webhook_port,
                url_path="telegram",
                webhook_url=self._settings.webhook_url,
                allowed_updates=["message"],
            )
        else:
            await app.updater.start_polling(
                allowed_updates=["message"], poll_interval=0.0, timeout=10
            )
        self._app = app
        self.connected = True
        _LOGGER.info("telegram: connected as @%s (%s)", self.username, self._settings.mode)

    async def stop(self) -> None:
        """Stop taking updates and disconnect; unsent replies stay in the outbox."""
        app, self._app = self._app, None
        self.connected = False
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        _LOGGER.info("telegram: disconnected")

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or self._sink is None:
            return
        converted = inbound(message, self.username)
        if converted is not None:
            await self._sink(converted)

    @property
    def bot(self) -> Bot:
        """The connected bot."""
        if self._app is None:
            raise DeliveryError("telegram is not connected")
        bot: Bot = self._app.bot
        return bot

    async def send(self, message: OutboundMessage) -> str:
        """Post a message (or a photo with its caption); returns Telegram's message id."""
        text, entities = mention_entities(message)
        reply = (
            ReplyParameters(message_id=int(message.reply_to), allow_sending_without_reply=True)
            if message.reply_to and message.reply_to.isdigit()
            else None
        )
        try:
            if message.image is not None:
                sent = await self.bot.send_photo(
                    chat_id=message.chat_id,
                    photo=message.image,
                    caption=text,
                    caption_entities=entities or None,
                    reply_parameters=reply,
                )
            else:
                sent = await self.bot.send_message(
                    chat_id=message.chat_id,
                    text=text,
                    entities=entities or None,
                    reply_parameters=reply,
                )
        except RetryAfter as exc:
            raise DeliveryError(f"telegram rate limit: retry after {exc.retry_after}") from exc
        except (Forbidden, BadRequest) as exc:
            # The chat is gone, the bot was removed or blocked: trying again will not help.
            raise DeliveryError(f"telegram refused the message: {exc}", retry=False) from exc
        except TelegramError as exc:
            raise DeliveryError(f"telegram: {exc}") from exc
        return str(sent.message_id)
