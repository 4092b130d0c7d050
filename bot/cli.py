"""The `gridbot` command: every subcommand, with the wiring each one needs."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters import ConsoleAdapter, MemoryChat
from bot import cli_model, cli_run
from bot.bootstrap import ModelMissing, build_bot, open_store
from bot.config import CONFIG_ENV, Config, ConfigError, load_config
from bot.demo import DemoError, demo_grid, play
from bot.domain import ROLE_WORDS, TicketState
from bot.messages import Platform
from bot.replay import Reply, replay
from bot.runner import every
from bot.views import display, ticket_json, ticket_table
from storage import DatabaseError

Command = Callable[[argparse.Namespace, Config], int]
_LOGGER = logging.getLogger("gridbot")


class UsageProblem(Exception):
    """The command line names something that is not there; the message says what to use."""


FOLLOW_UP_SECONDS = 600


def _chat(args: argparse.Namespace, config: Config) -> int:
    grid = (
        config.grids.get(args.grid)
        if args.grid
        else next(
            (
                g
                for g in config.grids.values()
                if any(c.platform is Platform.CONSOLE for c in g.chats)
            ),
            None,
        )
    )
    if grid is None:
        raise UsageProblem(
            f"no grid {args.grid!r}; the config has {', '.join(config.grids)}"
            if args.grid
            else "no grid has a console chat; add one under grids.<id>.chats"
        )
    chats = [c.chat_id for c in grid.chats if c.platform is Platform.CONSOLE]
    if not chats:
        raise UsageProblem(
            f"grid {grid.id} has no console chat; add one under grids.{grid.id}.chats"
        )
    people = {
        m.name: (m.user_id, ROLE_WORDS[m.role])
        for m in grid.members
        if m.platform is Platform.CONSOLE
    }
    bot = build_bot(config, database_url=args.db)
    console = ConsoleAdapter(
        chats[0], people, speaker=args.speaker, bot_name=config.street.bot_name
    )
    bot.attach(console, chats=[chats[0]])

    async def session() -> None:
        # asyncio.run's own Ctrl-C handler only cancels the task, which cannot happen while
        # the prompt waits for a line: let Ctrl-C raise KeyboardInterrupt there instead.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        await console.start(bot.receive)

        async def follow_up() -> None:
            bot.follow_up(datetime.now(UTC))  # expired return visits
            await bot.delivery.flush()

        stop = asyncio.Event()
        task = asyncio.create_task(every(FOLLOW_UP_SECONDS, "follow-up", follow_up, stop))
        print(f"━━ {grid.name} 居民群（控制台）━━")
        try:
            await console.interact()
        finally:
            stop.set()
            await task
            await console.stop()

    asyncio.run(session())
    return 0


def _demo(args: argparse.Namespace, config: Config) -> int:
    demo_grid(config)  # fail before creating anything if the config cannot host the demo
    with tempfile.TemporaryDirectory(prefix="gridbot-demo-") as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'demo.db'}"
        bot = build_bot(config, database_url=url)
        chat = MemoryChat(Platform.CONSOLE.value)
        bot.attach(chat)
        day = datetime.now(config.street.zone).date()
        asyncio.run(play(bot, chat, sys.stdout, day=day))
    return 0


def _replay(args: argparse.Namespace, config: Config) -> int:
    bot = build_bot(config, database_url=args.db)
    chats = [MemoryChat(platform.value) for platform in Platform]
    for chat in chats:
        bot.attach(chat)
    zone = config.street.zone

    def show(reply: Reply) -> None:
        if args.json:
            row = {
                "line": reply.line,
                "time": reply.time.isoformat(),
                "platform": reply.message.platform,
                "chat": reply.message.chat_id,
                "text": reply.message.text,
                "mentions": [m.user_id for m in reply.message.mentions],
            }
            print(json.dumps(row, ensure_ascii=False), flush=True)
        else:
            when = reply.time.astimezone(zone).strftime("%m-%d %H:%M")
            shown = display(reply.message, config.street.bot_name)
            print(f"[{reply.line}] {when} {reply.message.chat_id}  {shown}", flush=True)

    try:
        with open(args.file, encoding="utf-8-sig", errors="replace") as lines:
            skipped = asyncio.run(replay(bot, chats, lines, zone, show))
    except OSError as exc:
        raise UsageProblem(f"cannot read {args.file}: {exc.strerror}") from None
    if skipped:
        print(f"gridbot: {skipped} line(s) skipped, see the warnings above", file=sys.stderr)
    return 0


def _tickets(args: argparse.Namespace, config: Config) -> int:
    if args.grid and args.grid not in config.grids and ":" not in args.grid:
        raise UsageProblem(f"no grid {args.grid!r}; the config has {', '.join(config.grids)}")
    store = open_store(args.db or config.database.url)
    states = [TicketState(args.state)] if args.state else None
    with store.transaction() as tx:
        tickets = tx.list_tickets(street=config.street.name, grid_id=args.grid, states=states)
    if args.json:
        print(json.dumps([ticket_json(t) for t in tickets], ensure_ascii=False, indent=2))
    else:
        print(ticket_table(tickets, config.street.zone))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridbot",
        description="gridbot: turns a grid's group chat into tracked work orders (三事分流).",
    )
    parser.add_argument(
        "--config", metavar="FILE", help=f"config file (default: ${CONFIG_ENV} or ./config.yaml)"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, summary: str, run: Command) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=summary, description=summary)
        command.set_defaults(run=run)
        return command

    def database(command: argparse.ArgumentParser) -> None:
        command.add_argument("--db", metavar="URL", help="database URL (default: the config's)")

    chat = add(
        "chat", "an interactive grid group chat in the terminal; switch speaker with :as", _chat
    )
    chat.add_argument("--grid", help="grid id (default: the first with a console chat)")
    chat.add_argument(
        "--as", dest="speaker", default="居民", metavar="NAME", help="who you start as"
    )
    database(chat)

    demo = add("demo", "play a scripted morning in a grid group, then show the tickets", _demo)
    demo.add_argument(
        "--db", metavar="URL", help="database URL (default: a fresh temporary SQLite file)"
    )

    replay_ = add("replay", "feed a recorded conversation (JSON Lines) through the bot", _replay)
    replay_.add_argument("file", metavar="FILE.jsonl")
    replay_.add_argument("--json", action="store_true", help="one JSON object per reply")
    database(replay_)

    cli_model.register(add)

    run_ = add(
        "run", "connect every configured platform and work until SIGTERM or Ctrl-C", cli_run.run
    )
    database(run_)
    doctor = add(
        "doctor", "check the config, database, model and platforms; say what to fix", cli_run.doctor
    )
    database(doctor)
    digest = add(
        "digest",
        "print a grid's daily (or weekly) digest, optionally with its chart",
        cli_run.digest,
    )
    digest.add_argument("--grid", required=True, help="grid id")
    digest.add_argument("--date", metavar="YYYY-MM-DD", help="as of that day's digest time")
    digest.add_argument("--png", metavar="FILE", help="write the chart to FILE")
    digest.add_argument("--weekly", action="store_true", help="the weekly digest instead")
    database(digest)

    tickets = add(
        "tickets", "list tickets: number, grid, state, triage, category, reporters", _tickets
    )
    tickets.add_argument("--json", action="store_true", help="print a JSON array")
    tickets.add_argument("--grid", help="only this grid")
    tickets.add_argument("--state", choices=[s.value for s in TicketState], help="only this state")
    database(tickets)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbosity < 2:
        logging.getLogger("alembic").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `gridbot` subcommand; returns the process exit code."""
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        config = load_config(args.config)
        return int(args.run(args, config))
    except ConfigError as exc:
        print(f"gridbot: config error: {exc}", file=sys.stderr)
    except DatabaseError as exc:
        print(f"gridbot: database error: {exc}", file=sys.stderr)
    except (UsageProblem, DemoError, ModelMissing, cli_model.ModelProblem) as exc:
        print(f"gridbot: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`gridbot demo | head`): not an error worth a traceback.
        sys.stderr.close()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
