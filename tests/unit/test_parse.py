"""Parsing mail as it really arrives: broken, mislabelled, encoded, automatic."""

from __future__ import annotations

import pytest

from concierge.intake.models import Category
from concierge.intake.parse import parse_message
from tests.support.mail import message

BIG = 1 << 20


def parse(raw: bytes, **kw: object) -> object:
    return parse_message(raw, BIG, "global@backline.care", **kw)  # type: ignore[arg-type]


def test_a_plain_message() -> None:
    parsed = parse_message(message(1), BIG)
    assert parsed.sender == "ana.lopes@example.pt"
    assert parsed.sender_name == "Ana Lopes"
    assert parsed.subject == "Pedido de ajuda 1"
    assert parsed.new_text.startswith("Olá, preciso de falar")
    assert parsed.category == Category.PERSONAL
    assert parsed.message_id and parsed.message_id.startswith("<")


def test_rfc2047_headers_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?b?SsO8cmdlbiBNw7xsbGVy?= <jm@example.de>\r\n"
        b"Subject: =?iso-8859-1?q?Hilfe_f=FCr_meinen_S=E4nger?=\r\n\r\nHallo\r\n"
    )
    parsed = parse_message(raw, BIG)
    assert parsed.sender_name == "Jürgen Müller"
    assert parsed.subject == "Hilfe für meinen Sänger"


def test_unknown_charset_falls_back_and_says_so() -> None:
    raw = (
        b"From: x@example.com\r\nSubject: t\r\n"
        b"Content-Type: text/plain; charset=x-made-up-8\r\n\r\n"
        + "Não aguento mais".encode()
        + b"\r\n"
    )
    parsed = parse_message(raw, BIG)
    assert parsed.body_text.strip() == "Não aguento mais"
    assert "unknown charset" in parsed.defects


def test_mislabelled_charset_is_read_as_what_it_is() -> None:
    raw = (
        b"From: x@example.com\r\nSubject: t\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        + "Привет, мне плохо".encode()
        + b"\r\n"
    )
    assert parse_message(raw, BIG).body_text.strip() == "Привет, мне плохо"


def test_latin1_body_labelled_utf8() -> None:
    raw = (
        b"From: x@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Je suis fatigué".encode("latin-1")
    )
    parsed = parse_message(raw, BIG)
    assert parsed.body_text.strip() == "Je suis fatigué"
    assert "mislabelled charset" in parsed.defects


def test_raw_8bit_utf8_headers() -> None:
    raw = "From: Zoë <zoe@example.nl>\r\nSubject: Ik kan niet meer slapen – hulp\r\n\r\nHoi\r\n"
    parsed = parse_message(raw.encode(), BIG)
    assert parsed.subject == "Ik kan niet meer slapen – hulp"
    assert parsed.sender_name == "Zoë"


def test_html_only_mail_becomes_text() -> None:
    raw = (
        b"From: x@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><body><p>Hola,</p><p>no puedo m&aacute;s.</p><script>x()</script></body></html>"
    )
    assert parse_message(raw, BIG).body_text == "Hola,\nno puedo más."


def test_quoted_reply_and_signature_are_set_apart_but_kept() -> None:
    body = (
        "I still can't sleep.\n\n"
        "On Mon, 2 Nov 2026 at 09:30, Concierge <global@backline.care> wrote:\n"
        "> How are you feeling?\n-- \nSam\n"
    )
    parsed = parse_message(message(1, body=body), BIG)
    assert parsed.new_text == "I still can't sleep."
    assert "How are you feeling?" in parsed.body_text


def test_attachments_are_recorded_never_opened() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "x@example.com"
    msg.set_content("see attached")
    msg.add_attachment(b"MZ\x90\x00" * 100, maintype="application", subtype="x-msdownload",
                       filename="setlist.exe")  # fmt: skip
    parsed = parse_message(bytes(msg), BIG)
    assert [(a.name, a.content_type, a.size) for a in parsed.attachments] == [
        ("setlist.exe", "application/x-msdownload", 400)
    ]
    assert parsed.body_text.strip() == "see attached"


def test_oversized_message_is_flagged_and_parsed_up_to_the_cap() -> None:
    raw = message(1, body="help\n" + "x" * 50_000)
    parsed = parse_message(raw, 10_000)
    assert parsed.oversized
    assert parsed.sender == "ana.lopes@example.pt"
    assert parsed.body_text.startswith("help")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02 not an email at all \xff\xfe",
        b"From: \r\nSubject: =?utf-8?b?!!!?=\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=nope\r\n\r\n--nope\r\nbroken",
        b'Content-Type: text/plain; charset="\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@',
        b"From: <<<>>>@@@\r\nTo: ;;;\r\nDate: yesterday\r\nMessage-ID: <<>>\r\n\r\nhi\x00there",
        b"Subject: " + b"a" * 20_000 + b"\r\n\r\nlong header",
        b"Content-Type: multipart/alternative\r\n\r\nno boundary",
        b"Content-Type: text/plain; charset=utf-16\r\n\r\n\xff\xfeh\x00i\x00",
    ],
)
def test_nasty_input_never_raises(raw: bytes) -> None:
    parsed = parse_message(raw, BIG)
    for text in (parsed.body_text, parsed.subject, parsed.sender_name):
        assert "\x00" not in text
        text.encode("utf-8")


@pytest.mark.parametrize(
    ("headers", "subject", "category"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, Category.AUTO_REPLY),
        ({"Auto-Submitted": "auto-generated"}, None, Category.AUTO_REPLY),
        ({"X-Autoreply": "yes"}, None, Category.AUTO_REPLY),
        ({"X-Auto-Response-Suppress": "All"}, None, Category.AUTO_REPLY),
        ({"Precedence": "bulk"}, None, Category.BULK),
        ({"Precedence": "list"}, None, Category.BULK),
        ({"List-Id": "<news.example.com>"}, None, Category.BULK),
        ({"List-Unsubscribe": "<mailto:u@example.com>"}, None, Category.BULK),
        ({"Return-Path": "<>"}, None, Category.BOUNCE),
        ({}, "Out of Office: back on Monday", Category.AUTO_REPLY),
        ({}, "Réponse automatique : absent", Category.AUTO_REPLY),
        ({}, "Abwesenheitsnotiz: Urlaub", Category.AUTO_REPLY),
        ({}, "自動応答: 不在", Category.AUTO_REPLY),
        ({}, "Respuesta automática", Category.AUTO_REPLY),
        ({"Auto-Submitted": "no"}, None, Category.PERSONAL),
        ({}, "I feel like I'm automatic, replying to everyone", Category.PERSONAL),
    ],
)
def test_automatic_mail_is_recognised(
    headers: dict[str, str], subject: str | None, category: Category
) -> None:
    parsed = parse_message(message(1, subject=subject, headers=headers), BIG)
    assert parsed.category == category, parsed.category_reason


def test_bounces_by_sender_and_by_report() -> None:
    daemon = message(1, sender="MAILER-DAEMON@mx.example.com")
    assert parse_message(daemon, BIG).category == Category.BOUNCE
    report = (
        b"From: mail@example.com\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\n"
        b"Content-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    assert parse_message(report, BIG).category == Category.BOUNCE


def test_our_own_mail_is_recognised() -> None:
    own = message(1, sender="global@backline.care")
    assert parse_message(own, BIG, "global@backline.care").category == Category.OWN
