"""`gridbot run` (every configured platform, until stopped) and `gridbot doctor` (what is
wrong and how to fix it)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from bot.bootstrap import (
    ModelMissing,
    PlatformProblem,
    build_adapters,
    build_bot,
    build_classifier,
    open_store,
)
from bot.config import Config, TelegramConfig, WechatConfig
from bot.jobs import Jobs, draw_chart
from bot.messages import Platform
from bot.ports import DeliveryError
from bot.runner import serve
from storage import DatabaseError

_LOGGER = logging.getLogger("gridbot")


def run(args: argparse.Namespace, config: Config) -> int:
    """Connect every platform a grid has a chat on and work until SIGTERM or Ctrl-C."""
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    try:
        adapters = build_adapters(config)
    except PlatformProblem as exc:
        print(f"gridbot: {exc}")
        return 2
    if not adapters:
        print(
            "gridbot: no grid has a Telegram or WeChat chat; add one under grids.<id>.chats "
            "(or try `gridbot chat` in the terminal)"
        )
        return 2
    bot = build_bot(config, database_url=args.db)
    try:
        asyncio.run(serve(bot, adapters))
    except DeliveryError as exc:
        print(f"gridbot: {exc}; `gridbot doctor` checks the set-up")
        return 1
    return 0


def digest(args: argparse.Namespace, config: Config) -> int:
    """Print a grid's digest on demand (as of the digest time of --date, or now), and write its
    chart to --png."""
    grid = config.grids.get(args.grid)
    if grid is None:
        print(f"gridbot: no grid {args.grid!r}; the config has {', '.join(config.grids)}")
        return 2
    zone = config.street.zone
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            print(f"gridbot: --date {args.date!r} is not a date like 2026-11-23")
            return 2
        now = datetime.combine(day, grid.schedule.daily_digest, tzinfo=zone)
    else:
        now = datetime.now(UTC)
    store = open_store(args.db or config.database.url)
    jobs = Jobs(config, store, chart=None if args.png is None else draw_chart)
    text, _, chart = jobs.digest(grid, now, weekly=args.weekly)
    print(text)
    if args.png is not None and chart is not None:
        Path(args.png).write_bytes(chart)
        print(f"（图表已保存到 {args.png}）")
    return 0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `gridbot doctor`: what was checked, whether it is fine, and what to do."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The check as one line for the operator."""
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


def _database(config: Config, url: str | None) -> Check:
    url = url or config.database.url
    shown = url.split("@")[-1] if "@" in url else url
    try:
        open_store(url)
    except DatabaseError as exc:
        return Check("database", False, f"{exc}")
    return Check("database", True, f"{shown} reachable, schema up to date")


def _classifier(config: Config) -> Check:
    try:
        build_classifier(config)
    except ModelMissing as exc:
        return Check("classifier", False, str(exc))
    return Check("classifier", True, f"model {config.classifier.model or 'shipped with gridbot'}")


def _telegram(settings: TelegramConfig) -> Check:
    token = settings.token()
    if token is None:
        return Check(
            "telegram", False, f"{settings.token_env} is not set; export it with the bot token"
        )
    api = (settings.api_url or "https://api.telegram.org").rstrip("/")
    try:
        answer = httpx.get(f"{api}/bot{token}/getMe", timeout=10)
    except httpx.HTTPError as exc:
        return Check(
            "telegram",
            False,
            f"cannot reach {api} ({type(exc).__name__}); check the network, a proxy, or "
            "platforms.telegram.api_url",
        )
    if answer.status_code in (401, 404):
        return Check(
            "telegram",
            False,
            f"{api} refused the token in {settings.token_env}; ask BotFather for it again",
        )
    try:
        username = answer.json()["result"]["username"]
    except (ValueError, KeyError, TypeError):
        return Check("telegram", False, f"{api} answered getMe with HTTP {answer.status_code}")
    return Check(
        "telegram",
        True,
        f"connected as @{username} ({settings.mode}); in groups, turn its privacy mode off "
        "(BotFather /setprivacy) or make it an admin so that it sees residents' messages",
    )


def _wechat(settings: WechatConfig) -> Check:
    try:
        import adapters.wechat  # noqa: F401
    except ImportError:
        return Check(
            "wechat", False, "the WeChat extra is not installed: pip install 'gridbot[wechat]'"
        )
    if settings.token() is None:
        return Check(
            "wechat", False, f"{settings.token_env} is not set; export the puppet service token"
        )
    host, _, port = settings.endpoint.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as exc:
        return Check(
            "wechat",
            False,
            f"nothing answers at {settings.endpoint} ({exc.strerror or exc}); start the Wechaty "
            "puppet service or fix platforms.wechat.endpoint",
        )
    return Check("wechat", True, f"puppet service listening at {settings.endpoint}")


def doctor(args: argparse.Namespace, config: Config) -> int:
    """Check the config, the database, the model and each platform; say what to fix."""
    grids = len(config.grids)
    chats = sum(len(g.chats) for g in config.grids.values())
    checks = [Check("config", True, f"{grids} grid(s), {chats} chat(s)")]
    checks.append(_database(config, args.db))
    checks.append(_classifier(config))
    platform_checks: dict[Platform, Callable[[], Check]] = {
        Platform.TELEGRAM: lambda: _telegram(config.platforms.telegram),
        Platform.WECHAT: lambda: _wechat(config.platforms.wechat),
    }
    for platform in config.platforms_in_use():
        if platform in platform_checks:
            checks.append(platform_checks[platform]())
    for check in checks:
        print(check.line())
    problems = sum(not c.ok for c in checks)
    print("all good" if not problems else f"{problems} problem(s) to fix")
    return 0 if not problems else 1
