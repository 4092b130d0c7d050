"""A small keyword classifier: the placeholder behind the `Classifier` port until a trained one."""

from __future__ import annotations

from bot.domain import DEFAULT_CATEGORY, Triage, Verdict

# Words that show a message is chatter whatever else it says.
_CHATTER = (
    "谢谢",
    "感谢",
    "收到",
    "早上好",
    "晚上好",
    "大家好",
    "哈哈",
    "【通知】",
    "通知：",
    "好的",
)
_URGENT = (
    "着火",
    "起火",
    "冒烟",
    "浓烟",
    "煤气味",
    "燃气味",
    "天然气味",
    "困在电梯",
    "关在电梯",
    "摔倒",
    "晕倒",
    "昏迷",
    "爆管",
    "淹了",
    "漏电",
    "电线掉",
    "孩子不见",
    "走丢",
    "打人",
    "持刀",
)
# (keyword, triage, category), checked in order: the first hit decides.
_RULES: tuple[tuple[str, Triage, str], ...] = (
    ("低保", Triage.MAJOR, "民生服务"),
    ("医保", Triage.MAJOR, "民生服务"),
    ("社保", Triage.MAJOR, "民生服务"),
    ("养老金", Triage.MAJOR, "民生服务"),
    ("户口", Triage.MAJOR, "民生服务"),
    ("工资", Triage.MAJOR, "民生服务"),
    ("路灯", Triage.MAJOR, "市政设施"),
    ("井盖", Triage.MAJOR, "市政设施"),
    ("马路", Triage.MAJOR, "市政设施"),
    ("下水道", Triage.MAJOR, "市政设施"),
    ("违建", Triage.MAJOR, "违建执法"),
    ("占道", Triage.MAJOR, "违建执法"),
    ("油烟", Triage.MAJOR, "违建执法"),
    ("施工", Triage.MAJOR, "违建执法"),
    ("被骗", Triage.MAJOR, "治安安全"),
    ("偷", Triage.MAJOR, "治安安全"),
    ("公交", Triage.MAJOR, "交通出行"),
    ("电梯", Triage.MINOR, "物业设施"),
    ("门禁", Triage.MINOR, "物业设施"),
    ("楼道灯", Triage.MINOR, "物业设施"),
    ("煤气", Triage.MINOR, "治安安全"),
    ("燃气", Triage.MINOR, "治安安全"),
    ("楼道", Triage.MINOR, "环境卫生"),
    ("垃圾", Triage.MINOR, "环境卫生"),
    ("充电", Triage.MINOR, "治安安全"),
    ("停车", Triage.MINOR, "交通出行"),
    ("车位", Triage.MINOR, "交通出行"),
    ("楼上", Triage.MINOR, "邻里纠纷"),
    ("噪音", Triage.MINOR, "邻里纠纷"),
    ("狗", Triage.MINOR, "邻里纠纷"),
    ("独居", Triage.MINOR, "民生服务"),
    ("漏水", Triage.MINOR, "邻里纠纷"),
    ("保姆", Triage.PRIVATE, "家庭事务"),
    ("家政", Triage.PRIVATE, "家庭事务"),
    ("搬家", Triage.PRIVATE, "家庭事务"),
    ("开锁", Triage.PRIVATE, "家庭事务"),
    ("家里", Triage.PRIVATE, "家庭事务"),
    ("屋头", Triage.PRIVATE, "家庭事务"),
)


class KeywordClassifier:
    """Decides by the first matching keyword; honest about being unsure (confidence 0.5)."""

    def classify(self, text: str) -> Verdict:
        """Classify one message by keyword rules."""
        urgent = [word for word in _URGENT if word in text]
        chatter = [word for word in _CHATTER if word in text]
        if chatter and not urgent:
            return Verdict(Triage.NONE, DEFAULT_CATEGORY, False, 0.6, tuple(chatter))
        for word, triage, category in _RULES:
            if word in text:
                return Verdict(triage, category, bool(urgent), 0.5, (word, *urgent))
        if urgent:
            return Verdict(Triage.MAJOR, "治安安全", True, 0.5, tuple(urgent))
        return Verdict(Triage.NONE, DEFAULT_CATEGORY, False, 0.5, ("no appeal keyword",))
