"""Mail that no person wrote to us: auto-replies, bounces and bulk mail.

Such mail is stored like any other but never answered and kept out of the review
queue (RFC 3834 asks responders not to answer automatic mail; answering it is how
mail loops start). The checks, strongest first, follow RFC 3834 (Auto-Submitted),
RFC 3464 (delivery status reports), RFC 2369 and 2919 (list headers) and the
headers that common responders set. Subject lines alone count only with the exact
phrases mail programs use for out-of-office replies, in the supported languages.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr

from concierge.intake.kinds import Category

_OUT_OF_OFFICE = re.compile(
    r"^\s*(?:"
    r"out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto:"
    r"|abwesenheitsnotiz|automatische antwort|réponse automatique|absent du bureau"
    r"|respuesta automática|fuera de la oficina|resposta automática|ausente do escritório"
    r"|risposta automatica|fuori sede|fuori ufficio|automatisch antwoord|afwezigheidsbericht"
    r"|automatiskt svar|frånvaromeddelande|automatisk svar|automatisk besked|fraværsmelding"
    r"|automaattinen vastaus|poissa toimistolta|odpowiedź automatyczna|poza biurem"
    r"|automatická odpověď|mimo kancelář|răspuns automat|αυτόματη απάντηση|εκτός γραφείου"
    r"|otomatik yanıt|otomatik cevap|ofis dışında|автоматический ответ|автоответ"
    r"|автоматична відповідь|رد تلقائي|الرد التلقائي|תשובה אוטומטית|מחוץ למשרד"
    r"|स्वचालित उत्तर|balasan otomatis|di luar kantor|trả lời tự động|ตอบกลับอัตโนมัติ"
    r"|自動応答|自動返信|不在通知|자동 회신|자동 응답|부재중|自动回复|自動回覆|resposta automàtica"
    r"|fora de l'oficina"
    r")",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster)(?:@|$)", re.IGNORECASE)


def classify(message: Message, header: dict[str, str]) -> tuple[Category, str] | None:
    """The category of automatic mail and the reason, or None for a person's mail.

    `header` maps lower-case header names to their decoded values (the parser's
    safe reading); `message` gives the MIME structure.
    """
    auto_submitted = header.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Category.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type", "") or "").lower()
        if report_type in ("delivery-status", "disposition-notification"):
            return Category.BOUNCE, f"multipart/report; report-type={report_type}"
    if any(part.get_content_type() == "message/delivery-status" for part in message.walk()):
        return Category.BOUNCE, "a message/delivery-status part"
    return_path = header.get("return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return Category.BOUNCE, "empty Return-Path"
    sender = parseaddr(header.get("from", ""))[1]
    if _BOUNCE_SENDERS.match(sender):
        return Category.BOUNCE, f"sender {sender.split('@')[0]}"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if name in header:
            return Category.AUTO_REPLY, f"{name} header"
    precedence = header.get("precedence", "").strip().lower()
    if precedence == "auto_reply":
        return Category.AUTO_REPLY, "Precedence: auto_reply"
    if precedence in ("bulk", "junk", "list"):
        return Category.BULK, f"Precedence: {precedence}"
    for name in ("list-id", "list-unsubscribe"):
        if name in header:
            return Category.BULK, f"{name} header"
    if _OUT_OF_OFFICE.match(header.get("subject", "")):
        return Category.AUTO_REPLY, "out-of-office subject"
    return None
