"""Domain rules: urgency, chatter and scope cues, each with the words that fired it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


def _named_lines(path: Path) -> list[tuple[str, str]]:
    """The `name: value` lines of a data file, without comments and blank lines."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition(":")
            lines.append((name.strip(), value.strip()))
    return lines


def _load_patterns(path: Path) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Named patterns from a data file: one a line, `name: alternative|alternative`."""
    return tuple((name, re.compile(value)) for name, value in _named_lines(path))


# Danger right now: someone must move within the hour (LABELING.md, "urgent").
_URGENT_PATTERNS = _load_patterns(DATA / "dangers.txt")

# Context that turns a danger word into something that is not happening now: a notice, a
# drill, the past, a habit, a what-if ...
_NOT_NOW = re.compile(
    r"通知|提醒|温馨提示|演习|演练|培训|讲座|宣传|知识|安全检查|年检|检查|排查|"
    r"怎么交|缴费|交费|充值|开户|过户|报装|费用|"
    r"昨天|前天|上周|上个月|去年|以前|之前|上次|"
    r"如果|万一|防止|预防|注意|小心|谨防|会不会|是不是要|"
    r"上月|新闻|提示|引以为戒|请勿|事故原因|回顾|"
    r"天天|每天|每次|经常|老是|总是|每年"
)
# ... unless the message says it is happening now after all ("年检是下周，可是现在电梯里关了个人").
_NOW = re.compile(r"(?:但|可|可是|但是)现在|正在|还在|此刻|这会儿|快来|快叫|快打|赶紧|马上|救命")
# And the danger is over, whatever else the message says.
_OVER = re.compile(
    r"已经修好|修好了|已修复|恢复了|解决了|处理好了|虚惊|扑灭|灭了|不是着火|接走了|水退了|"
    r"找到了|没事了|送医院了|送走了|都退了|已经退了"
)

_THANKS = re.compile(
    r"^(谢谢|感谢|多谢|辛苦了?|收到|好的|好嘞|好滴|ok|OK|嗯+|哈+|👍|\+1|点赞|赞|早上好|晚上好|晚安|大家好|早|早安)"
)
_NOTICE = re.compile(
    r"^【[^】]{1,10}】|^(通知|公告|温馨提示|提醒)[:：]|"
    r"欢迎[^，,。!?]{0,6}(来|参加|参与|报名|借阅|咨询|光临|加入)"
)
# Residents arranging to do something together: "有没有人一起去", "三缺一".
_INVITE = re.compile(
    r"一起去|一起来|一起[^，,。!?]{0,2}(吗|不|没|呀|啊)|约起|组队|搭子|三缺一|有没有人一起"
)
_GREETING = re.compile(
    r"早上好|早安|午安|晚上好|晚安|大家好|新年好|过年好|拜年|快乐|安康|吉祥|如意|平安夜|"
    r"元旦|春节|元宵|端午|中秋|国庆|重阳|除夕|冬至|过早|吃了吗|吃饭了吗"
)
_PRAISE = re.compile(
    r"谢谢|感谢|多谢|辛苦了|辛苦啦|点赞|给力|好评|暖心|赞一个|👍|为.{1,8}(点赞|鼓掌)|真好|太好了"
)
_RESOLVED = re.compile(
    r"(已经|刚刚?|终于)[^，,。!?]{0,4}(修好|弄好|处理好|解决|清理|清走|搬走|拖走|恢复|通了|来电|来水)|"
    r"修好了|弄好了|处理好了|解决了|恢复了|没事了|搞定了|好了好了|已处理|已解决|已修复|"
    r"已经没有|已经不[漏响臭堵吵]了"
)
# A resident answering another: "你打12345反映一下", "您可以去街道办"; not "你们" (the staff).
_ADVICE = re.compile(
    r"(?:^|[，,。!！ ])(?:你|您)(?!们)(?:可以|去|打|找|要|得|先|直接|就|到|带)|"
    r"^(?:没有没有|不是不是|不用|没事没事)"
)
_ADVERT = re.compile(
    r"专业|低价|优惠|特价|加微信|加v|加V|vx|VX|接单|免费领|代办|招聘|兼职|团购|接龙|"
    r"回收|收购|出售|转让|出租|求租|代购|扫码|进群|秒杀|砍一刀|助力|福利|现金结算|包邮|高价|"
    r"上门回收|上门维修|上门安装|上门清洗|上门服务|包过|电话[:：]?\d|微信[:：]?\w"
)
_FORWARD = re.compile(r"转发|震惊|速看|紧急扩散|扩散|朋友圈|点击|链接|http|www\.")
_QUESTION = re.compile(
    r"[?？]|请问|咋个|怎么|咋办|如何|哪里|哪个|能不能|可不可以|有没有|是否|吗|呢"
)

_OWN = re.compile(r"我家|我们家|自家|自己家|屋头|家里|屋里|我屋|我的|自己的")
_NEIGHBOUR = re.compile(r"楼上|楼下|隔壁|对门|邻居|那家|那户|他家|她家")
_SHARED = re.compile(
    r"楼道|单元|电梯|小区|大门|门口|车库|楼顶|屋顶|整栋|全楼|整个|大家|好多户|几户|公共"
)
_PUBLIC = re.compile(
    r"马路|路面|街上|路口|公路|村道|主干道|市政|公交|红绿灯|路灯|河道|整个片区|全村|全街"
)


def load_lexicons(path: Path = DATA / "lexicons.txt") -> dict[str, tuple[str, ...]]:
    """Field lexicons: each word with the fields (`lex:policy` …) it names. They let the model
    recognise words it never saw in training, by the field they belong to."""
    fields: dict[str, set[str]] = {}
    for name, words in _named_lines(path):
        for word in words.split("|"):
            fields.setdefault(word, set()).add(f"lex:{name}")
    return {word: tuple(sorted(names)) for word, names in fields.items()}


@dataclass(frozen=True, slots=True)
class Cues:
    """What the rules saw in a normalised message body."""

    urgent: tuple[str, ...]
    not_now: bool
    features: tuple[str, ...]


def urgent_cues(body: str) -> tuple[str, ...]:
    """The names of the danger patterns the text matches."""
    return tuple(name for name, pattern in _URGENT_PATTERNS if pattern.search(body))


def _not_now(body: str) -> bool:
    """Whether the danger the text names is not happening now: it is over (and nothing after
    that says "but now …"), or the text is a notice, the past or a what-if with no "now"."""
    ends = [m.end() for m in _OVER.finditer(body)]
    if ends:
        return not _NOW.search(body, ends[-1])
    return bool(_NOT_NOW.search(body)) and not _NOW.search(body)


def cues(body: str) -> Cues:
    """Rule features for the model, and the urgency evidence with what blocks it."""
    found: list[str] = []
    for name, pattern in (
        ("thanks", _THANKS),
        ("greeting", _GREETING),
        ("praise", _PRAISE),
        ("resolved", _RESOLVED),
        ("advice", _ADVICE),
        ("notice", _NOTICE),
        ("invite", _INVITE),
        ("advert", _ADVERT),
        ("forward", _FORWARD),
        ("question", _QUESTION),
        ("own", _OWN),
        ("neighbour", _NEIGHBOUR),
        ("shared", _SHARED),
        ("public", _PUBLIC),
    ):
        if pattern.search(body):
            found.append(f"cue:{name}")
    urgent = urgent_cues(body)
    not_now = bool(urgent) and _not_now(body)
    found += [f"danger:{name}" for name in urgent]
    if not_now:
        found.append("danger:not-now")
    length = len(body)
    found.append(
        "len:0-4"
        if length <= 4
        else "len:5-12"
        if length <= 12
        else "len:13-40"
        if length <= 40
        else "len:41+"
    )
    return Cues(urgent=urgent, not_now=not_now, features=tuple(found))
