"""The domain's values: triage (三事分流), classifier verdicts, roles, tickets and their events."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Triage(enum.StrEnum):
    """Who is responsible for a message (三事分流); `NONE` is chatter that needs no follow-up."""

    MAJOR = "major"
    MINOR = "minor"
    PRIVATE = "private"
    NONE = "none"

    @property
    def is_appeal(self) -> bool:
        """Whether a message of this triage opens a ticket."""
        return self is not Triage.NONE


TRIAGE_WORDS: dict[Triage, str] = {
    Triage.MAJOR: "大事",
    Triage.MINOR: "小事",
    Triage.PRIVATE: "私事",
    Triage.NONE: "闲聊",
}

CATEGORIES: tuple[str, ...] = (
    "环境卫生",
    "物业设施",
    "市政设施",
    "治安安全",
    "邻里纠纷",
    "民生服务",
    "违建执法",
    "交通出行",
    "家庭事务",
    "其他",
)
DEFAULT_CATEGORY = "其他"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a classifier says about one message, with the words or rules that drove it."""

    triage: Triage
    category: str
    urgent: bool
    confidence: float
    reasons: tuple[str, ...] = ()


class Role(enum.StrEnum):
    """A member's role in a grid; anybody not named in the config is a resident."""

    RESIDENT = "resident"
    GRIDWORKER = "gridworker"
    LEADER = "leader"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        """Gridworkers, leaders and admins work tickets; residents report and follow them."""
        return self is not Role.RESIDENT


ROLE_WORDS: dict[Role, str] = {
    Role.RESIDENT: "居民",
    Role.GRIDWORKER: "网格员",
    Role.LEADER: "网格长",
    Role.ADMIN: "管理员",
}


class TicketState(enum.StrEnum):
    """Where a ticket (工单) stands in its lifecycle."""

    PENDING = "pending"  # the classifier was unsure: a gridworker confirms or corrects it
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"  # a gridworker found it was no appeal after all


STATE_WORDS: dict[TicketState, str] = {
    TicketState.PENDING: "待确认",
    TicketState.OPEN: "已受理",
    TicketState.RESOLVED: "已办结",
    TicketState.DISMISSED: "已撤销",
}
ACTIVE_STATES = (TicketState.PENDING, TicketState.OPEN)


@dataclass(frozen=True, slots=True)
class Reporter:
    """A resident who reported or later joined a ticket; they are told of its changes."""

    platform: str
    user_id: str
    name: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Ticket:
    """A work order opened from an appeal in a grid's group."""

    id: int
    number: int
    street: str
    grid_id: str
    platform: str
    chat_id: str
    state: TicketState
    triage: Triage
    category: str
    urgent: bool
    confidence: float
    summary: str
    reasons: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    reporters: tuple[Reporter, ...]

    @property
    def label(self) -> str:
        """The short number people say aloud, e.g. `#27`."""
        return f"#{self.number}"


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A message with the labels a gridworker confirmed or gave it."""

    text: str
    triage: Triage
    category: str
    urgent: bool
    source: str


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One entry of a ticket's audit trail: who changed what, when, and why."""

    ticket_id: int
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    from_state: TicketState | None
    to_state: TicketState | None
    note: str
