"""Raw bytes to a parsed message that never fails for the sender's mistakes.

Parsing uses `email.policy.default`. Mail in the wild breaks every rule, so each
step has a fallback: a header that will not parse is decoded by hand (RFC 2047
words, then the bytes as they are); a body in an unknown or mislabelled charset is
decoded as UTF-8, then Windows-1252, which cannot fail (RFC 2045 says an unknown
charset must still be shown; the WHATWG Encoding standard treats latin-1 labels as
windows-1252 for the same reason). What was wrong is kept in `defects`, without
any of the text. Attachments are recorded by name, type and size and never opened.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from concierge.intake.automatic import classify
from concierge.intake.html import html_to_text
from concierge.intake.kinds import Category
from concierge.intake.quotes import split_reply

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int


@dataclass
class ParsedMessage:
    message_id: str | None
    subject: str
    sender: str | None
    sender_name: str
    recipients: list[str]
    sent_at: dt.datetime | None
    in_reply_to: str | None
    references: list[str]
    body_text: str
    new_text: str
    signature: str
    attachments: list[Attachment]
    category: Category
    category_reason: str | None
    oversized: bool
    defects: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_message(raw: bytes, max_bytes: int, own_address: str = "") -> ParsedMessage:
    """Parse one message. Raises only on a bug of ours; the worker shunts those."""
    oversized = len(raw) > max_bytes
    data = raw[:max_bytes] if oversized else raw
    message, defects = _load(data)
    header = _headers(message, defects)
    name, sender = parseaddr(header.get("from", ""))
    try:
        body_text, attachments = _body(message, defects)
    except Exception:  # a MIME structure the library cannot walk: read it as text
        defects.append("unreadable MIME structure")
        body_text, attachments = _decode(raw.partition(b"\r\n\r\n")[2] or raw, None, defects), []
    split = split_reply(body_text)
    try:
        category, reason = _category(message, header, sender, own_address)
    except Exception:  # broken Content-Type parameters: a person must look at it
        defects.append("unreadable MIME structure")
        category, reason = Category.PERSONAL, None
    return ParsedMessage(
        message_id=_first_message_id(header.get("message-id", "")),
        subject=_clean(header.get("subject", "")),
        sender=sender.lower() or None,
        sender_name=_clean(name),
        recipients=[addr.lower() for _, addr in getaddresses([header.get("to", "")]) if addr],
        sent_at=_date(header.get("date", "")),
        in_reply_to=_first_message_id(header.get("in-reply-to", "")),
        references=_MESSAGE_ID.findall(header.get("references", ""))[-50:],
        body_text=_clean(body_text, keep_lines=True),
        new_text=_clean(split.new_text, keep_lines=True),
        signature=_clean(split.signature, keep_lines=True),
        attachments=attachments,
        category=category,
        category_reason=reason,
        oversized=oversized,
        defects=sorted(set(defects)),
        headers=header,
    )


def _load(data: bytes) -> tuple[Message, list[str]]:
    try:
        message: Message = email.message_from_bytes(data, policy=policy.default)
        _parse_mime_headers_once(message)
        return message, [type(defect).__name__ for defect in message.defects]
    except Exception:  # the modern parser gave up: try the lenient legacy one
        pass
    try:
        # NUL bytes in parameters trip even the legacy parser; they carry nothing.
        legacy = email.message_from_bytes(data.replace(b"\x00", b""), policy=policy.compat32)
        return legacy, ["unparseable MIME structure"]
    except Exception:
        empty = Message()
        empty.set_payload(data.decode("latin-1"))
        return empty, ["unparseable message"]


def _parse_mime_headers_once(message: Message) -> None:
    """Parse each part's Content-Type and Content-Disposition once, not on every look.

    The policy parses a header each time it is read, and walking a message reads
    Content-Type half a dozen times per part; a parsed header is kept as it is.
    """
    for part in message.walk():
        headers = part._headers  # type: ignore[attr-defined]
        for index, (name, value) in enumerate(headers):
            if name.lower() in ("content-type", "content-disposition"):
                # A header that will not parse is left as it is: reading it later says so.
                with contextlib.suppress(Exception):
                    headers[index] = (name, part.policy.header_fetch_parse(name, value))


def _category(
    message: Message, header: dict[str, str], sender: str, own_address: str
) -> tuple[Category, str | None]:
    if own_address and sender.lower() == own_address.lower():
        return Category.OWN, "sent from the concierge address"
    if "x-concierge-draft" in header:
        return Category.OWN, "X-Concierge-Draft header"
    found = classify(message, header)
    return found if found else (Category.PERSONAL, None)


# The headers whose values are read (the rest are only looked for, or not at all);
# decoding a header through the policy is most of the cost of parsing a message.
_READ_HEADERS = frozenset(
    {
        "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
        "auto-submitted", "return-path", "precedence",
    }
)  # fmt: skip


# Read, but plain ASCII tokens as a rule: their raw value is their value.
_PLAIN_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "auto-submitted", "return-path", "precedence"}
)


def _headers(message: Message, defects: list[str]) -> dict[str, str]:
    """The headers, by lower-case name; those we read decoded. The first of each name wins."""
    found: dict[str, str] = {}
    raw_values = dict(reversed(list(message.raw_items())))  # the first of each name wins
    for name in message:
        key = name.lower()
        if key in found:
            continue
        raw = raw_values.get(name, "")
        if key not in _READ_HEADERS or (
            key in _PLAIN_HEADERS and isinstance(raw, str) and raw.isascii() and "=?" not in raw
        ):
            # Unfolded as the policy would, without its parser: for these headers the
            # two agree on every message of CPython's email test data and our corpus.
            found[key] = _CONTROL.sub("", _unsurrogate("".join(str(raw).splitlines())))
            continue
        try:
            value = str(message[name])
            if message.policy is policy.compat32:
                value = _decode_by_hand(value)
        except Exception:  # malformed header: the policy's parser gave up
            defects.append(f"unparseable {key} header")
            value = _decode_by_hand(raw_values.get(name, ""))
        found[key] = _CONTROL.sub("", _unsurrogate(value))
    return found


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes (RFC 6532 allows UTF-8) arrive as surrogate escapes."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _decode_by_hand(value: object) -> str:
    text = str(value)
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # an encoded word in an unknown charset, or broken base64
        return text


def _body(message: Message, defects: list[str]) -> tuple[str, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = _filename(part, defects)
        disposition = part.get_content_disposition()
        is_text = content_type in ("text/plain", "text/html")
        if filename or disposition == "attachment" or not is_text:
            payload = _payload(part)
            if content_type != "message/delivery-status" or filename:
                attachments.append(Attachment(filename or "", _clean(content_type), len(payload)))
            continue
        text = _decode(_payload(part), part.get_content_charset(), defects)
        (plain if content_type == "text/plain" else html).append(text)
    if plain:
        return "\n\n".join(plain), attachments
    return "\n\n".join(html_to_text(h) for h in html), attachments


def _filename(part: Message, defects: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        defects.append("unparseable attachment name")
        return "(unreadable name)"
    return _clean(_unsurrogate(name)) if name else None


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # broken base64 or quoted-printable beyond what the decoder forgives
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _decode(data: bytes, charset: str | None, defects: list[str]) -> str:
    declared = _known_codec(charset)
    if charset and declared is None:
        defects.append("unknown charset")
    candidates = [declared] if declared and declared != "ascii" else []
    candidates += ["utf-8", "cp1252", "latin-1"]  # latin-1 decodes any bytes at all
    for index, codec in enumerate(candidates):
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if index > 0 and declared not in (None, "ascii"):
            defects.append("mislabelled charset")
        return text
    raise AssertionError("latin-1 decodes every byte string")


def _known_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    aliases = {"latin-1": "cp1252", "iso-8859-1": "cp1252", "us-ascii": "ascii", "ascii": "ascii"}
    if name in aliases:
        return aliases[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _first_message_id(value: str) -> str | None:
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else None


def _date(value: str) -> dt.datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _clean(text: str, keep_lines: bool = False) -> str:
    """No NUL or other control characters (PostgreSQL text cannot hold NUL)."""
    text = _CONTROL.sub("", text)
    return text if keep_lines else " ".join(text.split())
