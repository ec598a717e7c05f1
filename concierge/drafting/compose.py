"""A draft reply to one message: the template, the resources, the headers, the check.

`compose` takes what triage found (language, country, urgency) and the message's
own headers, asks the directory whom to name, renders the template in the sender's
language and builds the reply's headers. Nothing here writes to the database.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from babel import Locale, UnknownLocaleError

from concierge.directory.lookup import Match, lookup
from concierge.directory.models import ContactKind, ResourceKind
from concierge.directory.records import ResourceRecord
from concierge.drafting.safety import crisis_problems
from concierge.drafting.templates import TemplateError, Templates, default_templates

FALLBACK_LANGUAGE = "en"
MAX_SUPPORT = 4  # music-industry, therapy and peer support organisations named at most
MAX_REFERENCES = 20  # message ids kept in References (RFC 5322 allows trimming the middle)
SUPPORT_KINDS = (ResourceKind.MUSIC_INDUSTRY, ResourceKind.THERAPY, ResourceKind.PEER_SUPPORT)


@dataclass(frozen=True)
class Original:
    """What the reply needs to know of the message it answers."""

    message_id: str | None
    sender: str | None
    sender_name: str
    subject: str
    references: tuple[str, ...] = ()
    language: str | None = None
    country: str | None = None
    urgency: str = "routine"
    topics: tuple[str, ...] = ()
    follow_up: bool = False  # a later message of an open conversation


@dataclass(frozen=True)
class UsedResource:
    key: str
    name: str
    kind: str
    phone: str | None
    url: str | None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "kind": self.kind, "phone": self.phone,
                "url": self.url}  # fmt: skip


@dataclass(frozen=True)
class Draft:
    language: str
    country: str | None
    urgency: str
    template: str
    template_version: str
    subject: str
    text: str
    html: str
    resources: tuple[UsedResource, ...]
    topics: tuple[str, ...]
    problems: tuple[str, ...]  # the safety check's findings, in plain words
    message_id: str  # the reply's own Message-ID
    in_reply_to: str | None
    references: tuple[str, ...]
    to: str | None
    from_address: str
    from_name: str
    headers: dict[str, str] = field(default_factory=dict, compare=False)

    def as_email(self) -> EmailMessage:
        return reply_email(self)


def compose(
    original: Original,
    records: Sequence[ResourceRecord],
    from_address: str,
    templates: Templates | None = None,
    today: dt.date | None = None,
    stale_months: int = 12,
) -> Draft:
    templates = templates or default_templates()
    language = (
        original.language if original.language in templates.languages() else FALLBACK_LANGUAGE
    )
    answer = lookup(
        records, original.country, language, original.urgency, original.topics, today,
        stale_months,
    )  # fmt: skip
    labels = templates.labels(language)
    context = reply_context(
        answer.matches, language, original.country, original.urgency, labels,
        name=display_name(original.sender_name), follow_up=original.follow_up,
    )  # fmt: skip
    name = "crisis" if original.urgency == "crisis" else original.urgency
    if original.follow_up and original.urgency != "crisis":
        name = "follow_up"
    rendered = templates.render(language, name, context)
    used = tuple(
        _used(match.record, language)
        for match in answer.matches
        if _named_in(match.record, rendered.text, language)
    )
    problems: tuple[str, ...] = ()
    if original.urgency == "crisis":
        problems = tuple(crisis_problems(rendered.text, original.country, records))
    domain = from_address.rpartition("@")[2]
    references = _references(original)
    return Draft(
        language=language,
        country=original.country,
        urgency=original.urgency,
        template=rendered.template,
        template_version=rendered.version,
        subject=reply_subject(original.subject, labels["subject_fallback"]),
        text=rendered.text,
        html=rendered.html,
        resources=used,
        topics=tuple(original.topics),
        problems=problems,
        message_id=email.utils.make_msgid(domain=domain),
        in_reply_to=original.message_id,
        references=references,
        to=original.sender,
        from_address=from_address,
        from_name=str(labels["team"]),
    )


def reply_context(
    matches: Sequence[Match],
    language: str,
    country: str | None,
    urgency: str,
    labels: dict[str, Any],
    name: str | None = None,
    follow_up: bool = False,
) -> dict[str, Any]:
    """The variables every template gets (documented in reply_templates/README.md)."""
    emergency = [m for m in matches if m.record.kind == ResourceKind.EMERGENCY and m.record.country]
    crisis_lines = [m for m in matches if m.record.kind == ResourceKind.CRISIS_LINE]
    support = [m for m in matches if m.record.kind in SUPPORT_KINDS][:MAX_SUPPORT]
    programs = [m for m in matches if m.record.kind == ResourceKind.PROGRAM]
    return {
        "name": name,
        "urgency": urgency,
        "country": country,
        "country_name": country_name(country, language),
        "ask_country": country is None,
        "follow_up": follow_up,
        "emergency_numbers": [
            c.value for m in emergency for c in m.record.contacts_of(ContactKind.PHONE)
        ],
        "crisis_lines": [_view(m, language, labels) for m in crisis_lines],
        "crisis_lines_local": any(m.record.country for m in crisis_lines),
        "support": [_view(m, language, labels) for m in support],
        "programs": [_view(m, language, labels) for m in programs],
    }


def _view(match: Match, language: str, labels: dict[str, Any]) -> dict[str, Any]:
    """A resource as templates see it: its name, contacts and a line in the language."""
    record = match.record
    text = record.text_for(language)
    blurb = labels["programs"].get(record.key, "")
    if not blurb and text.language == language and record.kind == ResourceKind.PROGRAM:
        blurb = text.description
    web = record.contacts_of(ContactKind.WEB)
    return {
        "key": record.key,
        "kind": record.kind,
        "name": text.name,
        "blurb": blurb,
        "phones": [
            {"value": c.value, "hours": _hours(c.hours, labels)}
            for c in record.contacts_of(ContactKind.PHONE)
        ],
        "sms": [c.value for c in record.contacts_of(ContactKind.SMS)],
        "chat": [c.value for c in record.contacts_of(ContactKind.CHAT)],
        "email": [c.value for c in record.contacts_of(ContactKind.EMAIL)],
        "url": web[0].value if web else None,
        "stale": match.stale,
    }


def _hours(hours: str | None, labels: dict[str, Any]) -> str | None:
    if hours and hours.strip() == "24/7":
        return str(labels["open_24_7"])
    return hours or None


def country_name(country: str | None, language: str) -> str | None:
    if not country:
        return None
    try:
        return Locale.parse(language).territories.get(country.upper())
    except (UnknownLocaleError, ValueError):
        return None


def display_name(sender_name: str) -> str | None:
    """The name to greet: as the sender wrote it, unless it looks like an address."""
    name = " ".join(sender_name.split()).strip("\"' ")
    if not name or "@" in name or len(name) > 60:
        return None
    return name


def reply_subject(subject: str, fallback: str) -> str:
    subject = " ".join(subject.split())  # unfolded: a header value has no line breaks
    if not subject:
        return f"Re: {fallback}"
    if subject[:3].lower() == "re:":
        return subject
    return f"Re: {subject}"


def _references(original: Original) -> tuple[str, ...]:
    refs = [r for r in original.references if r]
    if original.message_id and original.message_id not in refs:
        refs.append(original.message_id)
    if len(refs) > MAX_REFERENCES:  # keep the first (the thread's root) and the latest
        refs = [refs[0], *refs[-(MAX_REFERENCES - 1) :]]
    return tuple(refs)


def _used(record: ResourceRecord, language: str) -> UsedResource:
    phones = record.contacts_of(ContactKind.PHONE)
    web = record.contacts_of(ContactKind.WEB)
    return UsedResource(
        key=record.key,
        name=record.text_for(language).name,
        kind=record.kind,
        phone=phones[0].value if phones else None,
        url=web[0].value if web else None,
    )


def _named_in(record: ResourceRecord, text: str, language: str) -> bool:
    if record.kind == ResourceKind.EMERGENCY:
        return any(c.value in text for c in record.contacts_of(ContactKind.PHONE))
    return record.text_for(language).name in text


def reply_email(draft: Draft) -> EmailMessage:
    """The reply as a message, every header set through the email library."""
    message = EmailMessage()
    sender = Address(display_name=draft.from_name, addr_spec=draft.from_address)
    message["From"] = sender
    message["Reply-To"] = sender
    if draft.to:
        message["To"] = Address(addr_spec=draft.to)
    message["Subject"] = draft.subject
    message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = draft.message_id
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = " ".join(draft.references)
    message.set_content(draft.text)
    message.add_alternative(draft.html, subtype="html")
    # After the content: setting content clears the Content-* headers.
    message["Content-Language"] = draft.language
    for part in message.iter_parts():
        part["Content-Language"] = draft.language
    return message


# Samples: what `concierge check` renders in every language, and `concierge templates show`.
SAMPLE_COUNTRIES = ("US", "BR", "JP", None)
SAMPLE_TOPICS = ("therapy_costs", "touring", "songwriting", "festivals")


def samples(language: str) -> list[Original]:
    """One sender per template and kind of country (local help, regional, none)."""
    found = []
    for country in SAMPLE_COUNTRIES:
        for urgency in ("crisis", "urgent", "routine"):
            found.append(
                Original(
                    message_id="<sample@example.org>",
                    sender="sample@example.org",
                    sender_name="Alex" if country else "",
                    subject="Sample",
                    language=language,
                    country=country,
                    urgency=urgency,
                    topics=SAMPLE_TOPICS if urgency != "crisis" else (),
                )
            )
        found.append(
            Original(
                message_id="<sample-2@example.org>",
                sender="sample@example.org",
                sender_name="Alex",
                subject="Re: Sample",
                references=("<sample@example.org>",),
                language=language,
                country=country,
                urgency="urgent",
                topics=("touring",),
                follow_up=True,
            )
        )
    return found


def check_templates(
    records: Sequence[ResourceRecord], languages: Sequence[str], templates: Templates | None = None
) -> list[str]:
    """Every template in every language renders its samples; crisis samples pass the check."""
    templates = templates or Templates()
    problems = []
    present = set(templates.languages())
    for language in languages:
        if language not in present:
            problems.append(f"{templates.folder / language}: missing (no reply templates)")
            continue
        try:
            question = templates.render(language, "ask_country", {}).text.strip()
        except TemplateError as error:
            problems.append(str(error))
            continue
        for original in samples(language):
            try:
                draft = compose(original, records, "global@backline.care", templates)
            except TemplateError as error:
                if str(error) not in problems:
                    problems.append(str(error))
                continue
            if draft.language != language:
                problems.append(f"{templates.folder / language}: rendered as {draft.language}")
            for problem in draft.problems:
                problems.append(f"{draft.template} ({original.country or 'no country'}): {problem}")
            if original.country is None and question not in draft.text:
                problems.append(
                    f"{draft.template}: with no country known, the draft must include"
                    " ask_country.txt.j2"
                )
    return problems
