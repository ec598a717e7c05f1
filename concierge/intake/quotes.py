"""Set a reply's new text apart from what it quotes and from its signature.

Triage reads only the new text, so an old message quoted below a new one cannot
raise (or hide) an alarm twice; the stored original stays whole. The splitter cuts
only at lines it is sure of: a reply header ("On ... wrote:" in the supported
languages), an Outlook header block, a forwarded-message marker, `>` quotes and the
RFC 3676 signature separator `-- `. When unsure it keeps the text: better that
triage reads a signature than misses a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "On <date>, <name> wrote:" and its kin; the date and name in between vary.
_REPLY_HEADER = re.compile(
    r"^\s*(?:"
    r"On\b.{0,200}\bwrote:"
    r"|Le\b.{0,200}\ba écrit\s?:"
    r"|Am\b.{0,200}\bschrieb.{0,80}:"
    r"|El\b.{0,200}\bescribió:"
    r"|Em\b.{0,200}\bescreveu:"
    r"|Il giorno\b.{0,200}\bha scritto:"
    r"|.{0,200}\bha scritto:"
    r"|Op\b.{0,200}\bschreef.{0,80}:"
    r"|Den\b.{0,200}\bskrev.{0,80}:"
    r"|.{0,200}\bskrev\b.{0,80}:"
    r"|.{0,200}\bkirjoitti:"
    r"|W dniu\b.{0,200}\bnapisał(?:a)?:"
    r"|.{0,200}\bnapsal(?:a)?:"
    r"|.{0,200}\ba scris:"
    r"|.{0,200}\bέγραψε:"
    r"|.{0,200}\byazdı:"
    r"|.{0,200}\bпишет:"
    r"|.{0,200}\bнаписал(?:а)?:"
    r"|.{0,200}\bнаписав(?:ла)?:"
    r"|.{0,200}كتب:"
    r"|.{0,200}כתב(?:ה)?:"
    r"|.{0,200}\bने लिखा:"
    r"|.{0,200}\bmenulis:"
    r"|.{0,200}\bđã viết:"
    r"|.{0,200}เขียนว่า:"
    r"|.{0,200}に書きました[:：]?"
    r"|.{0,200}님이 작성:"
    r"|.{0,200}写道[:：]"
    r"|El\b.{0,200}\bva escriure:"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Mensaje original|Message d'origine"
    r"|Ursprüngliche Nachricht|Messaggio originale|Mensagem original|Oorspronkelijk bericht"
    r"|Ursprungligt meddelande|Oprindelig meddelelse|Opprinnelig melding|Alkuperäinen viesti"
    r"|Wiadomość oryginalna|Původní zpráva|Mesaj original|Αρχικό μήνυμα|Orijinal mesaj"
    r"|Исходное сообщение|Пересылаемое сообщение|Оригінальне повідомлення)\s*-{2,}"
    r"|_{20,}"
    r"|Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
# Outlook's header block: "From: ...", then "Sent:"/"Date:" within the next lines.
_OUTLOOK_FROM = re.compile(
    r"^\s*\*?(?:From|De|Von|Da|Van|Från|Fra|Od|От|Від|发件人|差出人)\s*:", re.I
)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|Enviado|Envoyé|Gesendet|Inviato|Verzonden|Skickat|Sendt|Wysłano"
    r"|Отправлено|Надіслано|Data|Datum|Fecha|发送时间|送信日時|To|Para|À|An|A|Aan|Till|Til|Do|Кому)\s*:",
    re.IGNORECASE,
)
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my \w+|Get Outlook for \w+|Enviado desde mi \w+|Envoyé de mon \w+"
    r"|Von meinem \w+ gesendet|Inviato da(?:l mio)? \w+|Verstuurd vanaf mijn \w+"
    r"|Enviado do meu \w+|Skickat från min \w+|Sendt fra min \w+|Lähetetty \w+"
    r"|Wysłane z \w+|Odesláno z \w+|Trimis de pe \w+|Отправлено с \w+|Надіслано з \w+"
    r"|\w+から送信|从我的\s?\w+发送|내 \w+에서 보냄)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Split:
    new_text: str
    quoted: str
    signature: str


def split_reply(text: str) -> Split:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    body, quoted = lines[:cut], lines[cut:]
    body, signature = _without_signature(body)
    new_lines = [line for line in body if not line.lstrip().startswith(">")]
    inline_quotes = [line for line in body if line.lstrip().startswith(">")]
    new_text = "\n".join(new_lines).strip()
    if not new_text:  # nothing but quotes: keep everything rather than read nothing
        return Split(text.strip(), "", "")
    return Split(new_text, "\n".join(inline_quotes + quoted).strip(), "\n".join(signature).strip())


def _quote_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if _looks_like_reply_header(line):
            return index
        # A header wrapped over two lines: the first names the date, the second ends it.
        wrapped = index + 1 < len(lines) and re.search(r"\d", line)
        if wrapped and _looks_like_reply_header(line + " " + lines[index + 1]):
            return index
        if _SEPARATORS.match(line):
            return index
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
        if line.lstrip().startswith(">") and all(
            not rest.strip() or rest.lstrip().startswith(">") for rest in lines[index:]
        ):
            return index
    return len(lines)


def _looks_like_reply_header(line: str) -> bool:
    # A real header names a date or an address; "Jeg skrev en sang:" names neither.
    return bool(_REPLY_HEADER.match(line)) and bool(re.search(r"\d|@", line))


def _without_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    for index, line in enumerate(lines):
        if line.rstrip("\n") in ("-- ", "--") and index > 0:  # RFC 3676, section 4.3
            return lines[:index], lines[index:]
    for index in range(len(lines) - 1, -1, -1):
        if _MOBILE_SIGNATURE.match(lines[index]):
            return lines[:index], lines[index:]
        if lines[index].strip():
            break
    return lines, []
