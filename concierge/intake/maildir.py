"""The embedded mailbox: a Maildir, or a folder of `.eml` files, read without change.

With `CONCIERGE_MAILDIR` set the worker reads from here instead of IMAP, so the main
job runs with no mail server. Nothing is moved or flagged (the bundled sample inbox
is part of the checkout); the database remembers what it stored, keyed by the file
name (for a Maildir, the unique part before the `:2,` flags).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from concierge.errors import ConfigError
from concierge.intake.ingest import Fetched


class MaildirSource:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ConfigError(f"CONCIERGE_MAILDIR: {str(folder)!r} is not a folder")
        self.folder = folder.resolve()
        self.name = f"maildir:{self.folder}"

    def fetch(self, known: set[str]) -> Iterator[Fetched]:
        """Every message whose key is not in `known`, oldest file first."""
        for path, key in self._files():
            if key in known:
                continue
            try:
                raw = path.read_bytes()
                stat = path.stat()
            except FileNotFoundError:  # moved or deleted by someone else meanwhile
                continue
            received = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
            yield Fetched(self.name, key, raw, received)

    def _files(self) -> list[tuple[Path, str]]:
        if (self.folder / "cur").is_dir() or (self.folder / "new").is_dir():
            paths = [
                p
                for sub in ("new", "cur")
                if (self.folder / sub).is_dir()
                for p in (self.folder / sub).iterdir()
                if p.is_file() and not p.name.startswith(".")
            ]
            entries = [(p, p.name.split(":", 1)[0]) for p in paths]
        else:
            entries = [(p, p.name) for p in self.folder.glob("*.eml") if p.is_file()]
        return sorted(entries, key=lambda entry: (entry[0].stat().st_mtime, entry[1]))
