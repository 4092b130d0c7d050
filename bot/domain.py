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
    """Where a ticket (工单) stands in the closed loop 受理 → 签收 → 办理 → 办结 → 回访.

    `bot.lifecycle` holds the only table of which action moves a ticket from which state.
    """

    PENDING = "pending"  # 待确认: the classifier was unsure, a gridworker confirms or corrects
    OPEN = "open"  # 已受理
    CLAIMED = "claimed"  # 已签收: a gridworker took it (or was assigned it)
    IN_PROGRESS = "in_progress"  # 办理中: progress was noted
    ESCALATED = "escalated"  # 已上报: to the community, street or district
    REFERRED = "referred"  # 已引导: a private matter got its guidance; a follow-up is due
    RESOLVED = "resolved"  # 已办结: waiting for the reporters' return visit (回访)
    CLOSED = "closed"  # 已关闭: after the return visit, rated or not
    MERGED = "merged"  # 已合并 into another ticket
    CANCELLED = "cancelled"  # 已撤销 by its reporter
    DISMISSED = "dismissed"  # 非诉求: a gridworker found it was no appeal after all


STATE_WORDS: dict[TicketState, str] = {
    TicketState.PENDING: "待确认",
    TicketState.OPEN: "已受理",
    TicketState.CLAIMED: "已签收",
    TicketState.IN_PROGRESS: "办理中",
    TicketState.ESCALATED: "已上报",
    TicketState.REFERRED: "已引导",
    TicketState.RESOLVED: "已办结",
    TicketState.CLOSED: "已关闭",
    TicketState.MERGED: "已合并",
    TicketState.CANCELLED: "已撤销",
    TicketState.DISMISSED: "非诉求",
}
# The classifier and the duplicate finder read the head of a giant message; the whole text
# is stored all the same.
READ_LIMIT = 2000
# Someone still has to act on these.
ACTIVE_STATES = (
    TicketState.PENDING,
    TicketState.OPEN,
    TicketState.CLAIMED,
    TicketState.IN_PROGRESS,
    TicketState.ESCALATED,
    TicketState.REFERRED,
)
# The work is done: these count as 办结 in statistics.
DONE_STATES = (TicketState.RESOLVED, TicketState.CLOSED)


class Level(enum.StrEnum):
    """Where a matter is escalated (上报) to, lowest first."""

    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"


LEVEL_WORDS: dict[Level, str] = {
    Level.COMMUNITY: "社区",
    Level.STREET: "街道",
    Level.DISTRICT: "区级部门",
}


class Closure(enum.StrEnum):
    """How a closed ticket ended; "closed but not fixed" never counts as fixed."""

    NONE = ""
    RATED = "rated"  # a reporter answered the return visit with 3–5: solved
    UNRATED = "unrated"  # 未评价: nobody answered the return visit in time


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on a ticket: a person by stable platform id, or the bot itself."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Reporter:
    """A resident who reported or later joined a ticket; they are told of its changes."""

    platform: str
    user_id: str
    name: str
    joined_at: datetime
    via: int | None = None  # the id of the ticket they came with when it was merged in


@dataclass(frozen=True, slots=True)
class Rating:
    """A reporter's answer to the return visit (回访): 1–5, and what they said."""

    platform: str
    user_id: str
    name: str
    score: int
    comment: str
    at: datetime

    @property
    def satisfied(self) -> bool:
        """4 and 5 count as 满意; 1 and 2 reopen the ticket."""
        return self.score >= 4


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
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    responded_at: datetime | None = None
    closed_at: datetime | None = None
    assignee_id: str = ""
    assignee_name: str = ""
    level: Level | None = None
    external_ref: str = ""
    merged_into: int | None = None  # the number of the ticket it was merged into
    reopened: int = 0
    closure: Closure = Closure.NONE
    ratings: tuple[Rating, ...] = ()

    @property
    def label(self) -> str:
        """The short number people say aloud, e.g. `#27`."""
        return f"#{self.number}"

    @property
    def active(self) -> bool:
        """Whether someone still has to act on it."""
        return self.state in ACTIVE_STATES

    @property
    def reports(self) -> int:
        """How many residents reported it or joined it (附议)."""
        return len(self.reporters)

    @property
    def high_priority(self) -> bool:
        """Urgent, or reported by three residents or more: it goes first."""
        return self.urgent or self.reports >= 3

    def is_reporter(self, platform: str, user_id: str) -> bool:
        """Whether this person reported the ticket or joined it later."""
        return any(r.platform == platform and r.user_id == user_id for r in self.reporters)

    def response_overdue(self, now: datetime) -> bool:
        """Nobody has responded and the response deadline has passed."""
        return (
            self.active
            and self.responded_at is None
            and self.respond_by is not None
            and now > self.respond_by
        )

    def overdue(self, now: datetime) -> bool:
        """Still open past its resolution deadline, or past its response deadline unanswered."""
        late = self.resolve_by is not None and now > self.resolve_by
        return (self.active and late) or self.response_overdue(now)

    def resolved_on_time(self) -> bool | None:
        """Whether it was resolved by its deadline; None while unresolved."""
        if self.resolved_at is None:
            return None
        return self.resolve_by is None or self.resolved_at <= self.resolve_by


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
