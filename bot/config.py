"""The config file: read once, validated into typed objects, secrets only from the environment."""

from __future__ import annotations

import hashlib
import os
import re
import string
from datetime import time
from pathlib import Path
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain import Role
from bot.messages import Platform

CONFIG_ENV = "GRIDBOT_CONFIG"
DATABASE_ENV = "GRIDBOT_DATABASE_URL"
DEFAULT_CONFIG = Path("config.yaml")

_SECRET_KEYS = re.compile(r"(token|password|secret|api_key)$", re.IGNORECASE)


class ConfigError(Exception):
    """The config file cannot be used; the message names the key and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StreetConfig(_Strict):
    """The street office (街道) that owns all grids in this deployment."""

    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    bot_name: str = Field("网格助手", min_length=1, max_length=16)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (e.g. Asia/Shanghai)") from None
        return zone

    @property
    def zone(self) -> ZoneInfo:
        """The street's time zone, for everything shown to people."""
        return ZoneInfo(self.timezone)


class DatabaseConfig(_Strict):
    """Where tickets live: a SQLite file by default, PostgreSQL by URL."""

    url: str = "sqlite:///gridbot.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, url: str) -> str:
        if not url.startswith(
            ("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError("use sqlite:///FILE or postgresql://USER@HOST/DB")
        return url


class _Ids(_Strict):
    # Telegram ids are numbers; written unquoted in YAML they are still ids.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class ClassifierConfig(_Strict):
    """The classifier: which trained model, and how sure it must be to skip confirmation."""

    model: Path | None = Field(None, description="a folder written by `gridbot train --out`")
    confidence_threshold: float = Field(0.5, ge=0, le=1)


class DuplicatesConfig(_Strict):
    """When a new report joins an open ticket instead of opening one (附议)."""

    threshold: float = Field(
        80.0, ge=0, le=100, description="how sure the duplicate model must be, in percent"
    )
    near_copy: float = Field(
        95.0,
        ge=0,
        le=100,
        description="how sure the model must be for chatter or a private matter to join",
    )
    window_days: int = Field(7, ge=1, description="only tickets opened this recently")
    follow_minutes: int = Field(
        10, ge=0, description='a "+1" joins the ticket the chat talked about this recently'
    )


class ChatBinding(_Ids):
    """One chat group that belongs to a grid."""

    platform: Platform
    chat_id: str = Field(min_length=1)


class Member(_Ids):
    """A known person in a grid, by stable platform user id."""

    platform: Platform
    user_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role = Role.RESIDENT


class SlaConfig(_Strict):
    """Response and resolution deadlines per triage (from hotline practice)."""

    urgent_response_hours: float = Field(1.0, gt=0)
    urgent_resolve_same_day: bool = True
    response_working_days: int = Field(1, ge=1, description="签收 of a non-urgent ticket")
    minor_working_days: int = Field(3, ge=1)
    major_working_days: int = Field(13, ge=1)
    private_referral_working_days: int = Field(1, ge=1)
    private_follow_up_working_days: int = Field(3, ge=1)
    return_visit_days: int = Field(3, ge=1)


class QuietHours(_Strict):
    """No routine group posts between `start` and `end` (urgent notices still go out)."""

    start: time = time(22, 0)
    end: time = time(7, 0)


class ScheduleConfig(_Strict):
    """When the bot speaks without being asked."""

    status_posts: tuple[time, ...] = (time(9, 0), time(17, 30))
    daily_digest: time = time(18, 0)
    weekly_digest_weekday: int = Field(4, ge=1, le=7, description="1 = Monday; 4 = Thursday")
    working_days_only: bool = Field(
        True, description="status posts and daily digests on official working days only"
    )
    quiet_hours: QuietHours = QuietHours()
    max_posts_per_minute: int = Field(20, ge=1)
    remind_after_hours: float = Field(0, ge=0, description="催办 the worker once this late")
    supervise_after_hours: float = Field(24, ge=0, description="督办: tell the grid leader")
    escalate_after_hours: float = Field(72, ge=0, description="then escalate one level up")
    missed_post_grace_hours: float = Field(
        3, ge=0, description="a post missed while the bot was down is made up within this"
    )


# The reply templates and the fields each may use; a district can reword them in config.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "confirm_major": frozenset({"ticket", "category", "urgent_mark"}),
    "confirm_minor": frozenset({"ticket", "category", "urgent_mark"}),
    "confirm_private": frozenset({"ticket", "category", "urgent_mark"}),
    "confirm_pending": frozenset(
        {"ticket", "number", "guess", "triage", "category", "urgent_mark"}
    ),
    "urgent_mark": frozenset(),
    "done": frozenset({"ticket", "worker", "result"}),
    "return_visit": frozenset({"ticket", "number"}),
    "done_private": frozenset({"ticket", "worker"}),
    "list_header": frozenset({"grid", "count"}),
    "list_item": frozenset({"ticket", "triage_word", "state_word", "summary", "age"}),
    "list_empty": frozenset({"grid"}),
    "help_header": frozenset({"role_word"}),
    "failure": frozenset(),
}


class Templates(_Strict):
    """Reply templates in Chinese. `{ticket}` renders as the short number, e.g. `#27`."""

    confirm_major: str = (
        "{urgent_mark}收到，已登记为工单 {ticket}（大事·{category}），"
        "网格员会上报相关部门办理，进展会在群里告诉您。"
    )
    confirm_minor: str = (
        "{urgent_mark}收到，已登记为工单 {ticket}（小事·{category}），"
        "网格员会联系社区和物业尽快处理。"
    )
    confirm_private: str = (
        "{urgent_mark}收到，已登记为 {ticket}（私事·{category}），"
        "网格员会给您办理的建议和渠道，并跟进结果。"
    )
    confirm_pending: str = (
        "{urgent_mark}收到，已登记为工单 {ticket}。我判断像是{guess}，但拿不太准，"
        "请网格员发 /confirm {number} 确认，或 /reclassify {number} 大事|小事|私事|闲聊 纠正。"
    )
    urgent_mark: str = "【紧急】"
    done: str = "工单 {ticket} 已办结：{result}（{worker}）。"
    return_visit: str = (
        "问题解决了吗？请直接回复一个数字为办理打分：5 很满意，4 满意，3 基本满意，"
        "2 不满意，1 很不满意（1–2 分会重新办理）。也可以发 /rate {number} 分数 意见。"
    )
    done_private: str = "{ticket} 已办结（{worker}），处理情况已记录。还有需要的话，请告诉网格员。"
    list_header: str = "{grid}在办工单 {count} 件："
    list_item: str = "{ticket} {triage_word}·{state_word} {summary}（{age}）"
    list_empty: str = "{grid}目前没有在办的工单。"
    help_header: str = (
        "我是网格助手。居民在群里说出问题，我会登记成工单并跟进。{role_word}可用的命令："
    )
    failure: str = (
        "抱歉，这条消息我没能处理好，已经记下并告诉了管理员，请稍后再试或直接联系网格员。"
    )

    @model_validator(mode="after")
    def _known_fields_only(self) -> Self:
        for name, allowed in TEMPLATE_FIELDS.items():
            text = getattr(self, name)
            try:
                used = {
                    field for _, field, _, _ in string.Formatter().parse(text) if field is not None
                }
            except ValueError as exc:
                raise ValueError(f"templates.{name}: {exc}") from exc
            if "" in used or any(field.isdigit() for field in used):
                raise ValueError(f"templates.{name}: fields need names, e.g. {{ticket}}")
            unknown = used - allowed
            if unknown:
                known = "、".join(sorted(allowed)) or "none"
                raise ValueError(
                    f"templates.{name} uses unknown field {{{sorted(unknown)[0]}}}; known: {known}"
                )
        return self


class GridConfig(_Strict):
    """One grid (网格): its group chats, its people and its settings."""

    name: str = Field(min_length=1)
    chats: tuple[ChatBinding, ...] = ()
    members: tuple[Member, ...] = ()
    sla: SlaConfig | None = None
    schedule: ScheduleConfig | None = None
    templates: Templates | None = None
    places: dict[str, str] = Field(
        default_factory=dict,
        description="the grid's own names for its places, each with the name it stands for "
        "(正门: 南门, C座: 3号楼): reports naming either are of one place",
    )

    @field_validator("places")
    @classmethod
    def _place_names(cls, places: dict[str, str]) -> dict[str, str]:
        for alias, name in places.items():
            if not alias.strip() or not name.strip():
                raise ValueError("a place name and what it stands for may not be empty")
            if alias == name:
                raise ValueError(f"{alias} stands for itself")
            if name in places:
                raise ValueError(
                    f"{alias} stands for {name}, which stands for {places[name]}: "
                    f"write {alias}: {places[name]}"
                )
        return places

    @field_validator("members")
    @classmethod
    def _unique_members(cls, members: tuple[Member, ...]) -> tuple[Member, ...]:
        seen: set[tuple[str, str]] = set()
        for member in members:
            key = (member.platform, member.user_id)
            if key in seen:
                raise ValueError(f"member {member.platform}:{member.user_id} is listed twice")
            seen.add(key)
        return members


class Grid(BaseModel):
    """A grid with its effective settings: street defaults overlaid by its own."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    chats: tuple[ChatBinding, ...]
    members: tuple[Member, ...]
    sla: SlaConfig
    schedule: ScheduleConfig
    templates: Templates
    places: dict[str, str] = {}  # the grid's own names for places: alias → the name it stands for

    def role_of(self, platform: str, user_id: str) -> Role:
        """The role of a platform user in this grid; unknown people are residents."""
        member = self.member(platform, user_id)
        return member.role if member else Role.RESIDENT

    def member(self, platform: str, user_id: str) -> Member | None:
        """The configured member with this platform id, if any."""
        for member in self.members:
            if member.platform == platform and member.user_id == user_id:
                return member
        return None


class TelegramConfig(_Strict):
    """The Telegram bot: its token comes from an environment variable, never from the file."""

    token_env: str = Field("GRIDBOT_TELEGRAM_TOKEN", min_length=1)
    api_url: str | None = Field(
        None, description="a self-hosted Bot API server, e.g. http://127.0.0.1:8081"
    )
    mode: str = Field("polling", pattern="^(polling|webhook)$")
    webhook_url: str | None = Field(None, description="the public https URL Telegram posts to")
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> Self:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode webhook needs webhook_url (the public https address)")
        return self

    def token(self) -> str | None:
        """The bot token from the environment, if set."""
        return os.environ.get(self.token_env) or None


class WechatConfig(_Strict):
    """The WeChat account, through a Wechaty puppet service."""

    endpoint: str = Field(
        "127.0.0.1:8788",
        pattern=r"^[^\s:]+:\d{1,5}$",
        description="host:port of the puppet service",
    )
    token_env: str = Field("GRIDBOT_WECHAT_TOKEN", min_length=1)

    def token(self) -> str | None:
        """The puppet service token from the environment, if set."""
        return os.environ.get(self.token_env) or None


class PlatformsConfig(_Strict):
    """How to reach each chat platform a grid's chats are on."""

    telegram: TelegramConfig = TelegramConfig()
    wechat: WechatConfig = WechatConfig()


class _FileConfig(_Strict):
    """The shape of config.yaml."""

    street: StreetConfig
    database: DatabaseConfig = DatabaseConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    duplicates: DuplicatesConfig = DuplicatesConfig()
    sla: SlaConfig = SlaConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    templates: Templates = Templates()
    platforms: PlatformsConfig = PlatformsConfig()
    grids: dict[str, GridConfig] = Field(min_length=1)

    @field_validator("grids")
    @classmethod
    def _grid_ids(cls, grids: dict[str, GridConfig]) -> dict[str, GridConfig]:
        bound: dict[tuple[str, str], str] = {}
        for grid_id, grid in grids.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", grid_id):
                raise ValueError(f"grid id {grid_id!r} must be 1-32 letters, digits, - or _")
            for chat in grid.chats:
                key = (chat.platform, chat.chat_id)
                if key in bound:
                    raise ValueError(
                        f"chat {chat.platform}:{chat.chat_id} is bound to both "
                        f"{bound[key]} and {grid_id}"
                    )
                bound[key] = grid_id
        return grids


class Config(BaseModel):
    """The whole validated configuration, as the rest of the program receives it."""

    model_config = ConfigDict(frozen=True)

    street: StreetConfig
    database: DatabaseConfig
    classifier: ClassifierConfig
    sla: SlaConfig
    schedule: ScheduleConfig
    templates: Templates
    grids: dict[str, Grid]
    platforms: PlatformsConfig = PlatformsConfig()
    duplicates: DuplicatesConfig = DuplicatesConfig()

    def platforms_in_use(self) -> list[Platform]:
        """The platforms some grid has a chat on, in a stable order."""
        used = {chat.platform for grid in self.grids.values() for chat in grid.chats}
        return [p for p in Platform if p in used]

    def grid_for_chat(self, platform: str, chat_id: str) -> Grid | None:
        """The grid whose group this chat is, if the config binds it."""
        for grid in self.grids.values():
            for chat in grid.chats:
                if chat.platform == platform and chat.chat_id == chat_id:
                    return grid
        return None

    def grid_of_chat(self, platform: str, chat_id: str) -> Grid:
        """The grid whose group this chat is; a chat the config does not bind is a grid of its
        own, with the street's settings."""
        return self.grid_for_chat(platform, chat_id) or self.ad_hoc_grid(platform, chat_id)

    def ad_hoc_grid(self, platform: str, chat_id: str) -> Grid:
        """A grid for a chat the config does not bind: street defaults, everybody a resident."""
        grid_id = f"{platform}:{chat_id}"
        if len(grid_id) > 64:  # keep ids distinct when long chat ids are cut
            grid_id = grid_id[:55] + "~" + hashlib.sha1(grid_id.encode()).hexdigest()[:8]
        return Grid(
            id=grid_id,
            name=chat_id,
            chats=(ChatBinding(platform=Platform(platform), chat_id=chat_id),),
            members=(),
            sla=self.sla,
            schedule=self.schedule,
            templates=self.templates,
        )


_M = TypeVar("_M", bound=BaseModel)


def _overlay(default: _M, override: _M | None) -> _M:
    """The street default with only the keys a grid set itself replaced."""
    if override is None:
        return default
    changes = {key: getattr(override, key) for key in override.model_fields_set}
    return default.model_copy(update=changes)


def _format_error(source: str, error: ValidationError) -> str:
    first = error.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden" and _SECRET_KEYS.search(path):
        message = "secrets are not kept in the file; name an environment variable instead"
    elif first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and indentation)"
    more = len(error.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    where = f"{source}: {path}: " if path else f"{source}: "
    return f"{where}{message}{tail}"


def resolve_path(explicit: str | Path | None = None) -> Path:
    """The config file to read: `--config`, else `$GRIDBOT_CONFIG`, else ./config.yaml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def parse_config(data: Any, source: str = "config") -> Config:
    """Validate already-parsed YAML data into a `Config`.

    Raises:
        ConfigError: with one line naming the key and the problem.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must be a mapping with street and grids")
    try:
        raw = _FileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc)) from None
    if re.match(r"^[\w+]+://[^/@]*:[^/@]*@", raw.database.url):
        raise ConfigError(
            f"{source}: database.url: secrets are not kept in the file; "
            f"put the URL with its password in {DATABASE_ENV}"
        )
    grids = {
        grid_id: Grid(
            id=grid_id,
            name=grid.name,
            chats=grid.chats,
            members=grid.members,
            sla=_overlay(raw.sla, grid.sla),
            schedule=_overlay(raw.schedule, grid.schedule),
            templates=_overlay(raw.templates, grid.templates),
            places=grid.places,
        )
        for grid_id, grid in raw.grids.items()
    }
    database = raw.database
    if os.environ.get(DATABASE_ENV):
        database = DatabaseConfig(url=os.environ[DATABASE_ENV])
    return Config(
        street=raw.street,
        database=database,
        classifier=raw.classifier,
        sla=raw.sla,
        schedule=raw.schedule,
        templates=raw.templates,
        grids=grids,
        platforms=raw.platforms,
        duplicates=raw.duplicates,
    )


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config file.

    Raises:
        ConfigError: the file is missing, is not YAML, or does not validate.
    """
    file = resolve_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such config file (pass --config FILE or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}{where}: not valid YAML ({problem})") from None
    config = parse_config(data, source=str(file))
    folder = file.resolve().parent
    database = DatabaseConfig(url=_relative_to(config.database.url, folder))
    classifier = config.classifier
    if classifier.model is not None and not classifier.model.is_absolute():
        classifier = classifier.model_copy(update={"model": folder / classifier.model})
    return config.model_copy(update={"database": database, "classifier": classifier})


def _relative_to(url: str, folder: Path) -> str:
    """A relative SQLite path is taken from the config file's folder, not the working one."""
    prefix = "sqlite:///"
    path = url.removeprefix(prefix)
    if not url.startswith(prefix) or path.startswith("/") or path in ("", ":memory:"):
        return url
    return prefix + str(folder / path)
