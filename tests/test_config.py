"""Config loading: the shipped example, overrides, and one clear message for each mistake."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, load_config, parse_config
from bot.domain import Role
from tests.conftest import ROOT
from tests.utils.builders import config_data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_config_is_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDBOT_DATABASE_URL", raising=False)
    config = load_config(ROOT / "config.yaml")

    assert config.street.name and len(config.grids) >= 2
    for grid in config.grids.values():
        assert grid.name and grid.chats
        roles = {m.role for m in grid.members}
        assert Role.GRIDWORKER in roles and Role.LEADER in roles
        assert "{ticket}" in grid.templates.confirm_minor
    assert config.database.url == f"sqlite:///{ROOT / 'gridbot.db'}"


def test_a_grid_overrides_only_what_it_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(ROOT / "config.yaml")
    village = config.grids["qinghe-2"]
    town = config.grids["xingfu-1"]

    assert village.sla.minor_working_days == 5 and town.sla.minor_working_days == 3
    assert village.sla.major_working_days == town.sla.major_working_days == 13
    assert village.schedule.status_posts == (time(8, 30),)
    assert village.schedule.daily_digest == time(18, 0)
    assert "村委会" in village.templates.confirm_minor
    assert village.templates.done == town.templates.done


def test_unknown_people_are_residents() -> None:
    grid = parse_config(config_data()).grids["g1"]
    assert grid.role_of("console", "w1") is Role.GRIDWORKER
    assert grid.role_of("console", "stranger") is Role.RESIDENT
    assert grid.role_of("telegram", "w1") is Role.RESIDENT  # ids are per platform


def broken(path: str, value: Any) -> dict[str, Any]:
    """config_data with one key (a dotted path; digits index lists) set to `value`."""
    data = config_data()
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (broken("street", KeyError), "street: Field required"),
        (
            broken("grids.g1.members.0.role", "boss"),
            "grids.g1.members[0].role: Input should be 'resident'",
        ),
        (
            broken("grids.g1.chats.0.platform", "qq"),
            "grids.g1.chats[0].platform: Input should be 'console'",
        ),
        (broken("grids.g1.nmae", "x"), "grids.g1.nmae: unknown key"),
        (
            broken("grids.g1.templates", {"done": "{ticket} {who}"}),
            "templates.done uses unknown field {who}",
        ),
        (
            broken("grids.g1.sla", {"minor_working_days": 0}),
            "grids.g1.sla.minor_working_days: Input should be greater than or equal to 1",
        ),
        (broken("schedule", {"daily_digest": "25:00"}), "schedule.daily_digest"),
        (broken("street.timezone", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (broken("grids", {}), "grids: Dictionary should have at least 1 item"),
        (
            broken("grids.g2.chats", [{"platform": "console", "chat_id": "chat-1"}]),
            "chat console:chat-1 is bound to both g1 and g2",
        ),
        (broken("grids.g1.members.1.user_id", "w1"), "member console:w1 is listed twice"),
        (broken("database.token", "123:abc"), "database.token: secrets are not kept in the file"),
        (broken("grids.g 1", {"name": "x"}), "grid id 'g 1' must be"),
    ],
)
def test_a_broken_config_gets_one_line_naming_the_key(
    tmp_path: Path, data: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data))
    message = str(caught.value)
    assert expected in message
    assert message.startswith(str(tmp_path / "config.yaml"))
    assert "\n" not in message


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("street:\n  name: 街道\ngrids: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.yaml line \d+: not valid YAML"):
        load_config(path)


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(path)


def test_a_missing_file_says_how_to_name_another(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such config file .*--config FILE.*GRIDBOT_CONFIG"):
        load_config(tmp_path / "nope.yaml")


def test_gridbot_config_env_picks_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = config_data()
    data["street"]["name"] = "环境变量街道"
    monkeypatch.setenv("GRIDBOT_CONFIG", str(write(tmp_path, data)))
    assert load_config().street.name == "环境变量街道"


def test_database_url_comes_from_the_environment_and_paths_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, config_data(database={"url": "sqlite:///data/grid.db"}))
    monkeypatch.delenv("GRIDBOT_DATABASE_URL", raising=False)
    assert load_config(path).database.url == f"sqlite:///{tmp_path / 'data' / 'grid.db'}"

    monkeypatch.setenv("GRIDBOT_DATABASE_URL", "postgresql://gridbot:secret@db/gridbot")
    assert load_config(path).database.url == "postgresql://gridbot:secret@db/gridbot"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://root@localhost/grid",
            "database.url: Value error, use sqlite:///FILE or postgresql",
        ),
        ("postgresql://grid:hunter2@db/grid", "database.url: secrets are not kept in the file"),
    ],
)
def test_database_urls_that_cannot_be_used(tmp_path: Path, url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, config_data(database={"url": url})))
    assert expected.replace("Value error, ", "") in str(caught.value)


def test_a_template_field_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"templates.done: fields need names"):
        load_config(write(tmp_path, broken("templates", {"done": "{} 好了"})))


def test_a_grid_names_its_own_places() -> None:
    data = config_data()
    data["grids"]["g1"]["places"] = {"C座": "3号楼", "正门": "南门"}
    config = parse_config(data)
    assert config.grids["g1"].places == {"C座": "3号楼", "正门": "南门"}
    assert config.grids["g2"].places == {}


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        ({"正门": ""}, "grids.g1.places: a place name and what it stands for may not be empty"),
        ({"南门": "南门"}, "grids.g1.places: 南门 stands for itself"),
        (
            {"大门": "正门", "正门": "南门"},
            "grids.g1.places: 大门 stands for 正门, which stands for 南门: write 大门: 南门",
        ),
        ({"正门": ["南门"]}, "grids.g1.places.正门: Input should be a valid string"),
    ],
)
def test_place_names_that_cannot_be_read(places: dict[str, Any], expected: str) -> None:
    data = config_data()
    data["grids"]["g1"]["places"] = places
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert str(caught.value) == f"config: {expected}"


def test_numeric_platform_ids_are_ids() -> None:
    data = config_data()
    data["grids"]["g1"]["chats"] = [{"platform": "telegram", "chat_id": -1001234567890}]
    data["grids"]["g1"]["members"][0] = {
        "platform": "telegram",
        "user_id": 42,
        "name": "小王",
        "role": "gridworker",
    }
    grid = parse_config(data).grids["g1"]
    assert grid.chats[0].chat_id == "-1001234567890"
    assert grid.role_of("telegram", "42") is Role.GRIDWORKER
