"""Configuration: every ``CONCIERGE_*`` variable is declared once, here.

Like Datasette's ``Setting`` table, the declarations double as documentation: the
README's configuration table is generated from ``SETTINGS`` and a test fails when
the two drift apart. Values come from the environment, then from an optional TOML
file named by ``CONCIERGE_CONFIG``, then from the defaults below. A bad value stops
the program at start with the variable's name and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concierge.errors import ConfigError

PREFIX = "CONCIERGE_"


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite:///", "sqlite+pysqlite:///", "postgresql+psycopg://")):
        raise ValueError("a SQLAlchemy URL starting with sqlite:/// or postgresql+psycopg://")
    return value


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("a whole number greater than 0") from None
    if number <= 0:
        raise ValueError("a whole number greater than 0")
    return number


def _port(value: str) -> int:
    number = _positive_int(value) if value.isdigit() else -1
    if not 0 < number < 65536:
        raise ValueError("a port number from 1 to 65535")
    return number


def _optional_port(value: str) -> int | None:
    return _port(value) if value else None


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("true or false")


def _idle_seconds(value: str) -> int:
    number = _positive_int(value)
    if number > 1680:
        raise ValueError("a number of seconds from 1 to 1680 (28 minutes)")
    return number


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
    return level


def _email_address(value: str) -> str:
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c in value for c in " \r\n<>"):
        raise ValueError("a plain email address such as global@backline.care")
    return value


def _text(value: str) -> str:
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    parse: Callable[[str], Any] = _text

    @property
    def env_name(self) -> str:
        return PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "config",
        "",
        "Optional TOML file with any of these settings as lower-case keys without the "
        'prefix (`database_url = "..."`). Environment variables win over the file.',
    ),
    Setting(
        "database_url",
        "sqlite:///var/concierge.sqlite3",
        "SQLAlchemy URL of the database. The embedded default is a SQLite file "
        "(relative paths are relative to the working directory); for PostgreSQL use "
        "`postgresql+psycopg://user:password@host:5432/name`.",
        _database_url,
    ),
    Setting(
        "stale_months",
        "12",
        "A resource not verified within this many months ranks below verified ones and "
        "is marked stale.",
        _positive_int,
    ),
    Setting(
        "from_address",
        "global@backline.care",
        "The concierge address: From and Reply-To of every reply.",
        _email_address,
    ),
    Setting(
        "maildir",
        "",
        "A Maildir, or a folder of `.eml` files, that the worker reads instead of IMAP "
        "(the embedded default: no mail server needed). Read only: nothing is moved.",
    ),
    Setting("imap_host", "", "IMAP server of the concierge mailbox."),
    Setting(
        "imap_port",
        "",
        "IMAP port; empty means 993 with SSL, 143 without.",
        _optional_port,
    ),
    Setting("imap_user", "", "IMAP user name."),
    Setting("imap_password", "", "IMAP password (not needed with the OAuth2 command)."),
    Setting(
        "imap_ssl",
        "true",
        "`true`: TLS from the start (port 993). `false`: plain connection, upgraded with "
        "STARTTLS when the server offers it.",
        _boolean,
    ),
    Setting("imap_folder", "INBOX", "The folder to watch."),
    Setting(
        "imap_oauth2_command",
        "",
        "A command that prints an OAuth2 access token, for XOAUTH2 login to Google "
        "Workspace and Microsoft 365 mailboxes (instead of the password).",
    ),
    Setting(
        "idle_seconds",
        "600",
        "How long one IMAP IDLE lasts before it is re-issued (at most 1680, well within "
        "the 29 minutes after which servers may drop an idle client).",
        _idle_seconds,
    ),
    Setting(
        "poll_seconds",
        "60",
        "Polling interval where the server has no IDLE, and for the Maildir.",
        _positive_int,
    ),
    Setting(
        "max_message_bytes",
        "26214400",
        "Messages larger than this are stored whole but parsed only up to this size, "
        "and flagged `oversized`.",
        _positive_int,
    ),
    Setting(
        "web_host",
        "127.0.0.1",
        "Address the web app listens on (`0.0.0.0` inside a container).",
    ),
    Setting(
        "web_port",
        "8000",
        "Port the web app listens on.",
        _port,
    ),
    Setting(
        "log_level",
        "INFO",
        "DEBUG, INFO, WARNING or ERROR, for the worker and the web app; one-shot commands "
        "log warnings and errors only unless this is set. Message text is never logged.",
        _log_level,
    ),
)


@dataclass(frozen=True)
class Config:
    database_url: str
    stale_months: int
    from_address: str
    maildir: str
    imap_host: str
    imap_port: int | None
    imap_user: str
    imap_password: str = field(repr=False)
    imap_ssl: bool
    imap_folder: str
    imap_oauth2_command: str
    idle_seconds: int
    poll_seconds: int
    max_message_bytes: int
    web_host: str
    web_port: int
    log_level: str
    config: str = ""

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration, or raise ConfigError naming the bad variable."""
    env = os.environ if environ is None else environ
    known = {setting.env_name for setting in SETTINGS}
    unknown = sorted(name for name in env if name.startswith(PREFIX) and name not in known)
    unknown = [name for name in unknown if not name.startswith(PREFIX + "TEST_")]
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting (see the README's configuration table)")
    file_values = _read_config_file(env.get(PREFIX + "CONFIG", ""))
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw, origin = setting.default, "default"
        if setting.name in file_values:
            raw, origin = file_values[setting.name], f"{env[PREFIX + 'CONFIG']}: {setting.name}"
        if setting.env_name in env:
            raw, origin = env[setting.env_name], setting.env_name
        try:
            values[setting.name] = setting.parse(str(raw).strip())
        except ValueError as error:
            name = setting.env_name if origin == "default" else origin
            raise ConfigError(f"{name}: got {str(raw)!r}, expected {error}") from None
    return Config(**values)


def _read_config_file(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{PREFIX}CONFIG: file {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{PREFIX}CONFIG: cannot read {path!r}: {error}") from None
    names = {setting.name for setting in SETTINGS} - {"config"}
    for key in data:
        if key not in names:
            raise ConfigError(f"{path}: unknown setting {key!r}")
    return data
