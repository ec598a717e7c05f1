"""Mangled copies of real messages: the parser must never raise, nor return NULs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from concierge.intake.parse import parse_message

CPYTHON_EMAIL_DATA = Path(pytest.__file__).parent  # replaced below when found
for candidate in __import__("sys").path:
    folder = Path(candidate) / "test" / "test_email" / "data"
    if folder.is_dir():
        CPYTHON_EMAIL_DATA = folder
        break
SNIPPETS = [
    b"\r\n", b"=?", b"?=", b"; charset=", b"boundary=", b"--", b"\x00", b'"', b"<", b">",
    b"@", b":", b"=?utf-8?q?", b"=?x-bad?b?",
    b'Content-Type: multipart/mixed; boundary="x"\r\n',
]  # fmt: skip


def mangled(seed: int, originals: list[bytes]) -> bytes:
    rng = random.Random(seed)
    raw = bytearray(rng.choice(originals))
    for _ in range(rng.randint(1, 20)):
        position = rng.randrange(len(raw) + 1)
        roll = rng.random()
        if roll < 0.4 and raw:
            raw[position % len(raw)] = rng.randrange(256)
        elif roll < 0.7:
            raw[position:position] = rng.choice(SNIPPETS)
        else:
            del raw[position : position + rng.randint(1, 50)]
    return bytes(raw)


def test_two_thousand_mangled_messages_parse() -> None:
    originals = [p.read_bytes() for p in sorted(CPYTHON_EMAIL_DATA.glob("msg_*.txt"))]
    if not originals:
        pytest.skip("this Python has no test/test_email/data folder")
    for seed in range(2000):
        parsed = parse_message(mangled(seed, originals), 1 << 20, "global@backline.care")
        fields = [parsed.body_text, parsed.new_text, parsed.subject, parsed.sender_name]
        fields += [parsed.message_id or "", parsed.sender or "", *parsed.references]
        fields += [a.name + a.content_type for a in parsed.attachments]
        for text in fields:
            assert "\x00" not in text, seed
            text.encode("utf-8")
