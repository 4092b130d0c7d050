"""Slash commands: declared once with their roles, Chinese alias, usage and help line."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain import ROLE_WORDS, Role, Ticket
from bot.lifecycle import Action, IllegalTransition, move
from bot.pipeline import Context
from bot.privacy import mask_pii
from bot.sla import Deadlines, deadlines

EVERYONE = frozenset(Role)
STAFF = frozenset({Role.GRIDWORKER, Role.LEADER, Role.ADMIN})
LEADERS = frozenset({Role.LEADER, Role.ADMIN})


class Access(enum.Enum):
    """Who may act on the ticket a command names (on top of the command's roles)."""

    STAFF = "staff"  # the staff of the ticket's grid
    FOLLOWER = "follower"  # its reporters and followers, and the staff of its grid
    REPORTER = "reporter"  # its reporters and followers only


# "/done" and full-width "／done" name the same command. "/done@somebot" is addressed to a
# bot by name: the platform adapter strips our own name, so one still carrying it is not ours.
_COMMAND = re.compile(
    r"^[/／](?P<word>[^\s@/／]+)(?P<addressee>@\S+)?(?:\s+(?P<args>.*))?$", re.DOTALL
)
_TICKET_NUMBER = re.compile(r"^[#＃]?(\d{1,9})号?$")
_TICKET_THEN_TEXT = re.compile(r"^([#＃]?\d{1,9}号?)(?!\d)[\s,，:：;；]*(.*)$", re.DOTALL)
_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")


class CommandError(Exception):
    """A command cannot be carried out; the message tells the user what to do instead."""


class UsageError(CommandError):
    """A command's arguments are malformed; the reply shows its usage."""


Handler = Callable[[Context, str], None]


@dataclass(frozen=True, slots=True)
class Command:
    """A declared slash command."""

    name: str
    aliases: tuple[str, ...]
    roles: frozenset[Role]
    usage: str
    example: str
    summary: str
    handler: Handler
    ticket: Access | None = None  # the first argument is a ticket number, checked for access

    @property
    def usage_line(self) -> str:
        """One line that shows how to type the command."""
        return f"用法：{self.usage}，例如 {self.example}"


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command found in a message, with its raw argument text."""

    command: Command
    args: str


class CommandSet:
    """The commands the bot understands, and the three pipeline stages that run them."""

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._by_word: dict[str, Command] = {}

    def command(
        self,
        name: str,
        *aliases: str,
        roles: frozenset[Role],
        usage: str,
        summary: str,
        example: str | None = None,
        ticket: Access | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a command: `@commands.command("done", "办结", roles=STAFF, ...)`."""

        def register(handler: Handler) -> Handler:
            command = Command(
                name=name,
                aliases=aliases,
                roles=roles,
                usage=usage,
                example=example or usage,
                summary=summary,
                handler=handler,
                ticket=ticket,
            )
            for word in (name, *aliases):
                if word.lower() in self._by_word:
                    raise ValueError(f"command word /{word} is declared twice")
                self._by_word[word.lower()] = command
            self._commands.append(command)
            return handler

        return register

    def find(self, word: str) -> Command | None:
        """The command named by `word` (name or alias, any case)."""
        return self._by_word.get(word.lower())

    def visible_to(self, role: Role) -> Sequence[Command]:
        """The commands this role may use, in declaration order."""
        return [c for c in self._commands if role in c.roles]

    # The pipeline stages, in the order they run.

    def parse(self, ctx: Context) -> bool:
        """Recognise a command; an unknown one from staff is answered here.

        A resident's unknown "command" (`/3栋电梯坏了`) goes on to intake as an ordinary
        message, and one addressed to another bot is left alone.
        """
        match = _COMMAND.match(ctx.message.text)
        if match is None:
            return False
        if match["addressee"]:
            return True
        word = match["word"]
        command = self.find(word)
        if command is None:
            if not ctx.role.is_staff:
                return False
            ctx.reply(f"没有 /{mask_pii(word)[:20]} 这个命令。发 /help 查看您可以用的命令。")
            return True
        ctx.command = Invocation(command, (match["args"] or "").strip())
        return False

    def authorize(self, ctx: Context) -> bool:
        """The permission stage: refuse a command the sender's role may not use, and for a
        command on a ticket, check the ticket exists, belongs to this grid and the sender may
        act on it (staff of its grid; residents only on tickets they reported or joined)."""
        if ctx.command is None:
            return False
        command = ctx.command.command
        if ctx.role not in command.roles:
            allowed = "、".join(ROLE_WORDS[r] for r in Role if r in command.roles)
            ctx.reply(f"/{command.name} 只有{allowed}可以用。发 /help 查看您可以用的命令。")
            return True
        if command.ticket is None:
            return False
        number, rest = split_ticket_args(ctx.command.args)
        try:
            if not number:
                raise UsageError("请写上工单号。")
            ticket = grid_ticket(ctx, number)
            _check_access(ctx, ticket, command.ticket)
        except UsageError as exc:
            ctx.reply(f"{exc} {command.usage_line}")
            return True
        except CommandError as exc:
            ctx.reply(str(exc))
            return True
        ctx.ticket = ticket
        ctx.command = Invocation(command, rest)
        return False

    def run(self, ctx: Context) -> bool:
        """Carry out the recognised command; its errors become one-line replies."""
        if ctx.command is None:
            return False
        command = ctx.command.command
        try:
            command.handler(ctx, ctx.command.args)
        except UsageError as exc:
            ctx.replies.clear()
            ctx.reply(f"{exc} {command.usage_line}".strip())
        except CommandError as exc:
            ctx.replies.clear()
            ctx.reply(str(exc))
        return True


def _check_access(ctx: Context, ticket: Ticket, access: Access) -> None:
    follower = ticket.is_reporter(ctx.message.platform, ctx.message.sender_id)
    if access is Access.REPORTER and not follower:
        raise CommandError(f"工单 {ticket.label} 不是您反映的，只有反映问题的居民可以这样做。")
    if access is Access.FOLLOWER and not (follower or ctx.role.is_staff):
        raise CommandError(f"工单 {ticket.label} 不是您反映的。发 /my 查看您反映过的问题。")


def ticket_number(text: str) -> int:
    """Parse a ticket number as people type it: `12`, `#12`, `＃12`, `12号`.

    Raises:
        UsageError: the text is not a ticket number.
    """
    match = _TICKET_NUMBER.match(text.strip())
    if match is None:
        raise UsageError(f"“{mask_pii(text)[:12]}”不是工单号。")
    return int(match[1])


def meaningful(text: str) -> bool:
    """Whether `text` says something: at least one letter, digit or Chinese character."""
    return bool(_MEANINGFUL.search(text))


def split_ticket_args(args: str) -> tuple[str, str]:
    """Split `12 text`, `#12，text` or `12号：text` into the number and the text."""
    match = _TICKET_THEN_TEXT.match(args.strip())
    if match is None:
        first, _, rest = args.strip().partition(" ")
        return first, rest.strip()
    return match[1], match[2].strip()


def grid_ticket(ctx: Context, text: str) -> Ticket:
    """The ticket numbered in `text`, which must belong to the message's grid.

    Raises:
        UsageError: `text` is not a ticket number.
        CommandError: no such ticket in this grid.
    """
    number = ticket_number(text)
    ticket = ctx.tx.get_ticket(ctx.street, number)
    if ticket is None:
        hint = "发 /list 查看在办工单" if ctx.role.is_staff else "发 /my 查看您反映过的问题"
        raise CommandError(f"没有找到工单 #{number}，{hint}。")
    if ticket.grid_id != ctx.grid.id:
        raise CommandError(f"工单 #{number} 不属于{ctx.grid.name}，请在它所在网格的群里处理。")
    return ticket


def transition(
    ctx: Context, ticket: Ticket, action: Action, note: str = "", **changes: object
) -> Ticket:
    """`bot.lifecycle.move` by the sender; an illegal transition becomes the reply."""
    try:
        moved = move(
            ctx.tx, ticket, action, actor=ctx.actor, at=ctx.message.time, note=note, **changes
        )
    except IllegalTransition as exc:
        raise CommandError(str(exc)) from None
    ctx.ticket_id = moved.id
    return moved


def deadlines_from_now(ctx: Context, ticket: Ticket) -> Deadlines:
    """A ticket's deadlines counted afresh from this message (reopened, split off)."""
    return deadlines(
        triage=ticket.triage,
        urgent=ticket.urgent,
        opened_at=ctx.message.time,
        sla=ctx.grid.sla,
        zone=ctx.zone,
    )


def reopen_ticket(ctx: Context, ticket: Ticket, action: Action, *, note: str) -> Ticket:
    """Reopen a resolved or closed ticket (重办) with fresh deadlines from now."""
    due = deadlines_from_now(ctx, ticket)
    return transition(ctx, ticket, action, note=note, resolve_by=due.resolve_by)
