"""Messages to triage from files: `.eml` files, folders of them, and mbox files."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Header names that any mail has at least one of; a file with none is not mail.
_MAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:")


@dataclass(frozen=True)
class Item:
    path: str
    raw: bytes | None
    error: str | None = None


def read_paths(paths: list[str]) -> Iterator[Item]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".eml")
            if not files:
                yield Item(name, None, "a folder with no .eml files")
            for file in files:
                yield _file(file)
        elif path.is_file():
            if _is_mbox(path):
                yield from _mbox(path)
            else:
                yield _file(path)
        else:
            yield Item(name, None, "no such file or folder")


def _file(path: Path) -> Item:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return Item(str(path), None, f"cannot read: {error.strerror}")
    problem = not_mail(raw)
    return Item(str(path), None if problem else raw, problem)


def not_mail(raw: bytes) -> str | None:
    """Why these bytes are not an email message, or None if they are one."""
    head, _, _ = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    if b"\x00" in head:
        return "not an email message (binary data)"
    lines = [line.lower() for line in head.split(b"\n")]
    if not any(line.startswith(_MAIL_HEADERS) for line in lines):
        return "not an email message (no mail headers)"
    return None


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _mbox(path: Path) -> Iterator[Item]:
    box = mailbox.mbox(str(path), create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            raw = box.get_bytes(key)
            problem = not_mail(raw)
            yield Item(f"{path}#{number}", None if problem else raw, problem)
    finally:
        box.close()
