"""The `gridbot` command as a user runs it: help, demo, replay, tickets, chat, and its errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.utils.builders import config_data
from tests.utils.cli import GRIDBOT, run


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    data = config_data(database={"url": "sqlite:///grid.db"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_help_lists_every_subcommand_with_a_line() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("chat", "demo", "replay", "tickets"):
        assert re.search(rf"^ +{command} +\w", result.stdout, re.MULTILINE), command


def test_demo_plays_a_morning_and_shows_the_tickets() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "网格员小王：/done 1" in out and "已办结" in out
    assert "#1" in out and "大事" in out and "小事" in out and "私事" in out
    assert "已并入 #2（共2位居民反映）" in out and "#2（共3位居民反映）" in out
    assert "工单（" in out and out.rstrip().splitlines()[-1].startswith("#")
    assert result.stderr == ""


def replay_lines(*rows: dict[str, Any]) -> str:
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"


def test_replay_then_tickets(tmp_path: Path, config_file: Path) -> None:
    conversation = tmp_path / "morning.jsonl"
    conversation.write_text(
        replay_lines(
            {
                "time": "2026-11-23T08:00:00+08:00",
                "chat": "chat-1",
                "sender_id": "r1",
                "sender_name": "李师傅",
                "text": "3栋电梯坏了，老人上不去楼",
            },
            {
                "time": "2026-11-23T08:01:00",
                "chat": "chat-1",
                "sender_id": "r2",
                "sender_name": "张阿姨",
                "text": "大家早上好",
            },
            {
                "time": "2026-11-23T08:02:00",
                "chat": "unknown-group",
                "sender_id": "x9",
                "text": "小区门口路灯坏了",
            },
            {
                "time": "2026-11-23T08:30:00",
                "chat": "chat-1",
                "sender_id": "w1",
                "sender_name": "网格员小王",
                "text": "/done 1 修好了",
            },
        )
        + "this is not json\n"
        + replay_lines({"time": "yesterday", "chat": "chat-1", "sender_id": "r1", "text": "x"}),
        encoding="utf-8",
    )

    result = run("--config", str(config_file), "replay", str(conversation), "--json")

    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in replies] == [1, 3, 4]
    assert "#1" in replies[0]["text"] and replies[0]["mentions"] == ["r1", "w1"]
    assert replies[1]["chat"] == "unknown-group"
    assert "已办结" in replies[2]["text"]
    assert "line 5 skipped: not JSON" in result.stderr
    assert "line 6 skipped: time 'yesterday' is not ISO-8601" in result.stderr

    listed = run("--config", str(config_file), "tickets", "--json")
    tickets = json.loads(listed.stdout)
    assert [(t["number"], t["grid"], t["state"], t["triage"]) for t in tickets] == [
        (1, "g1", "resolved", "minor"),
        (2, "console:unknown-group", "open", "major"),
    ]
    assert tickets[0]["reporters"] == [{"id": "r1", "name": "李师傅"}]
    assert tickets[0]["created_at"] == "2026-11-23T00:00:00+00:00"

    table = run("--config", str(config_file), "tickets", "--state", "open")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["编号", "网格", "状态", "三事"]
    assert len(lines) == 2 and lines[1].startswith("#2")

    # Replaying the same file again is a redelivery: nothing new.
    again = run("--config", str(config_file), "replay", str(conversation))
    assert again.returncode == 0 and again.stdout == ""
    assert len(json.loads(run("--config", str(config_file), "tickets", "--json").stdout)) == 2


def test_replay_of_a_missing_file(config_file: Path) -> None:
    result = run("--config", str(config_file), "replay", "/nonexistent/x.jsonl")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "gridbot: cannot read /nonexistent/x.jsonl: No such file or directory"
    )


def test_chat_in_the_terminal(config_file: Path) -> None:
    script = "\n".join(
        [
            "3栋电梯又坏了，老人上不去楼",
            ":as 网格员小王",
            "/list",
            "/done 1 物业已修好",
            ":who",
            ":quit",
        ]
    )
    result = run("--config", str(config_file), "chat", "--as", "李师傅", stdin=script)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🤖 网格助手：@李师傅 @网格员小王 收到，已登记为工单 #1" in out
    assert "（你现在是 网格员小王，网格员）" in out
    assert "一网格在办工单 1 件" in out
    assert "🤖 网格助手：@李师傅 工单 #1 已办结：物业已修好" in out
    assert "周网格长（网格长）" in out


def test_chat_ends_cleanly_at_end_of_input(config_file: Path) -> None:
    result = run("--config", str(config_file), "chat", stdin="大家好\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_chat_with_an_unknown_grid(config_file: Path) -> None:
    result = run("--config", str(config_file), "chat", "--grid", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == "gridbot: no grid 'nope'; the config has g1, g2"


def test_a_broken_config_stops_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "street: {name: 街道}\ngrids: {g1: {name: 一网格, members: [{platform: console, user_id: a, name: A, role: boss}]}}\n",
        encoding="utf-8",
    )
    result = run("--config", str(path), "tickets")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("gridbot: config error: ")
    assert "grids.g1.members[0].role" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_stops_with_one_line(config_file: Path) -> None:
    env = {**os.environ, "GRIDBOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    result = run("--config", str(config_file), "tickets", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("gridbot: database error: cannot open the database")
    assert len(result.stderr.strip().splitlines()) == 1


def test_replay_is_strict_about_types_and_keeps_repeated_messages(
    tmp_path: Path, config_file: Path
) -> None:
    lift = {
        "time": "2026-11-23T08:00:00",
        "chat": "chat-1",
        "sender_id": "r1",
        "text": "3栋电梯坏了",
    }
    conversation = tmp_path / "odd.jsonl"
    conversation.write_text(
        "\ufeff"  # a BOM, as Windows exports have
        + replay_lines(
            lift,
            {**lift, "text": ["电梯", "坏了"]},
            {**lift, "chat": None},
            {**lift, "sender_id": ""},
            [1, 2, 3],  # type: ignore[arg-type]
            lift,  # the same text again in the same minute: a second message
            {**lift, "chat": 12345, "sender_id": 678, "text": "路灯坏了"},
        ),
        encoding="utf-8",
    )
    result = run("--config", str(config_file), "replay", str(conversation), "--json")
    assert result.returncode == 0
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 6, 7]
    for line, problem in [
        (2, "text must be a string"),
        (3, "chat is missing or empty"),
        (4, "sender_id is missing or empty"),
        (5, "not a JSON object"),
    ]:
        assert f"line {line} skipped: {problem}" in result.stderr
    assert "4 line(s) skipped" in result.stderr
    tickets = json.loads(run("--config", str(config_file), "tickets", "--json").stdout)
    assert [t["chat"] for t in tickets] == ["chat-1", "chat-1", "12345"]


def test_tickets_for_an_unknown_grid(config_file: Path) -> None:
    result = run("--config", str(config_file), "tickets", "--grid", "nope")
    assert result.returncode == 2 and "no grid 'nope'" in result.stderr


def test_demo_into_a_pipe_that_closes_early() -> None:
    result = subprocess.run(
        f"'{GRIDBOT}' demo | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.stdout.startswith("━━") and "Traceback" not in result.stderr


def test_demo_twice_on_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run("demo", "--db", url)
    second = run("demo", "--db", url)
    assert second.returncode == 0, second.stderr
    # The second morning's tickets follow the first's (its replies may wait in the outbox:
    # both mornings post to one chat within the same real minute, past its rate limit).
    rows = [line.split()[0] for line in second.stdout.splitlines() if line.startswith("#")]
    assert rows == [f"#{n}" for n in range(1, 13)]


def test_ctrl_c_leaves_chat_at_once(config_file: Path) -> None:
    import pty
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: gridbot chat on a terminal
        os.chdir(ROOT)
        os.execv(str(GRIDBOT), ["gridbot", "--config", str(config_file), "chat"])
    seen = b""
    deadline = time.monotonic() + 30
    while b"> " not in seen and time.monotonic() < deadline:
        seen += os.read(fd, 1024)
    os.write(fd, b"\x03")
    for _ in range(50):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("gridbot chat did not stop on Ctrl-C")
    assert os.waitstatus_to_exitcode(status) == 130
    os.close(fd)
