"""Messages for the tests, built with the email library as a mail program would."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def message(
    number: int = 1,
    sender: str = "ana.lopes@example.pt",
    subject: str | None = None,
    body: str = "Olá, preciso de falar com alguém esta semana.",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ana Lopes <{sender}>"
    msg["To"] = "global@backline.care"
    msg["Subject"] = subject if subject is not None else f"Pedido de ajuda {number}"
    msg["Date"] = format_datetime(dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC))
    msg["Message-ID"] = message_id or make_msgid(f"test{number}", "example.pt")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(f"{body}\n\nMensagem {number}.\n")
    return bytes(msg)
