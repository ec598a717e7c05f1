from __future__ import annotations

import re
from pathlib import Path

import pytest

from concierge.config import SETTINGS, load_config
from concierge.errors import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_use_the_embedded_database() -> None:
    config = load_config({})
    assert config.database_url == "sqlite:///var/concierge.sqlite3"
    assert config.is_embedded
    assert config.stale_months == 12
    assert config.from_address == "global@backline.care"


def test_environment_overrides_default() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    config = load_config({"CONCIERGE_DATABASE_URL": url, "CONCIERGE_STALE_MONTHS": "6"})
    assert config.database_url == url
    assert not config.is_embedded
    assert config.stale_months == 6


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CONCIERGE_DATABASE_URL", "mysql://x", "sqlite:///"),
        ("CONCIERGE_STALE_MONTHS", "soon", "a whole number"),
        ("CONCIERGE_STALE_MONTHS", "0", "a whole number"),
        ("CONCIERGE_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("CONCIERGE_FROM_ADDRESS", "nobody", "email address"),
    ],
)
def test_bad_value_names_the_variable_and_what_was_expected(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({name: value})
    message = str(raised.value)
    assert message.startswith(f"{name}: got {value!r}, expected")
    assert expected in message
    assert "\n" not in message


def test_unknown_setting_is_an_error_not_silence() -> None:
    with pytest.raises(ConfigError, match="CONCIERGE_DATABASE_ULR: unknown setting"):
        load_config({"CONCIERGE_DATABASE_ULR": "sqlite:///x.db"})


def test_config_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "concierge.toml"
    path.write_text('stale_months = 3\nlog_level = "debug"\n')
    config = load_config({"CONCIERGE_CONFIG": str(path), "CONCIERGE_LOG_LEVEL": "ERROR"})
    assert config.stale_months == 3
    assert config.log_level == "ERROR"


def test_bad_value_in_config_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "concierge.toml"
    path.write_text("stale_months = -1\n")
    with pytest.raises(ConfigError, match=r"concierge\.toml: stale_months: got '-1'"):
        load_config({"CONCIERGE_CONFIG": str(path)})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CONCIERGE_CONFIG: file .* does not exist"):
        load_config({"CONCIERGE_CONFIG": str(tmp_path / "nope.toml")})


def test_readme_documents_every_setting_with_its_default() -> None:
    text = README.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(CONCIERGE_[A-Z0-9_]+)` \| `?([^|`]*)`? \|", text, re.MULTILINE))
    for setting in SETTINGS:
        assert setting.env_name in rows, f"{setting.env_name} is missing from the README table"
        assert rows[setting.env_name].strip() == setting.default, setting.env_name
    assert set(rows) == {setting.env_name for setting in SETTINGS}
