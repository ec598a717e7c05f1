"""Drafted replies: in the sender's language, naming the right local help, threaded."""

from __future__ import annotations

import email
import email.policy
from functools import cache
from pathlib import Path

import pytest

from concierge.directory.models import ContactKind, ResourceKind
from concierge.directory.records import ResourceRecord
from concierge.directory.seed import load_seed
from concierge.drafting.compose import Original, check_templates, compose, reply_subject
from concierge.drafting.safety import crisis_problems, names_number
from concierge.drafting.templates import TemplateError, Templates, to_html
from concierge.drafting.topics import find_topics
from concierge.triage.language import SUPPORTED, detect_language

FROM = "global@backline.care"
# A country where each language is spoken; Romania and Turkey have no adult crisis
# line we could confirm, so their drafts name the emergency number and the directory.
HOME = {
    "en": "GB", "es": "ES", "pt": "PT", "fr": "FR", "de": "DE", "it": "IT", "nl": "NL",
    "sv": "SE", "da": "DK", "nb": "NO", "fi": "FI", "pl": "PL", "cs": "CZ", "ro": "RO",
    "el": "GR", "tr": "TR", "ru": "RU", "uk": "UA", "ar": "EG", "he": "IL", "hi": "IN",
    "id": "ID", "vi": "VN", "th": "TH", "ja": "JP", "ko": "KR", "zh": "CN", "ca": "ES",
}  # fmt: skip


@cache
def records() -> tuple[ResourceRecord, ...]:
    return tuple(load_seed())


def original(
    language: str, country: str | None, urgency: str = "crisis", **more: object
) -> Original:
    values: dict[str, object] = {
        "message_id": "<m1@example.org>",
        "sender": "sam@example.org",
        "sender_name": "Sam",
        "subject": "help",
        "language": language,
        "country": country,
        "urgency": urgency,
    }
    values.update(more)
    return Original(**values)  # type: ignore[arg-type]


def phones(country: str, kind: str) -> list[str]:
    return [
        contact.value
        for record in records()
        if record.country == country and record.kind == kind
        for contact in record.contacts
        if contact.kind == ContactKind.PHONE
    ]


def international_urls() -> list[str]:
    return [
        contact.value
        for record in records()
        if record.country is None and record.kind == ResourceKind.CRISIS_LINE
        for contact in record.contacts
        if contact.kind == ContactKind.WEB
    ]


def test_every_supported_language_has_templates() -> None:
    assert set(HOME) == set(SUPPORTED)
    assert check_templates(records(), SUPPORTED) == []


@pytest.mark.parametrize("language", SUPPORTED)
def test_a_crisis_draft_names_the_countrys_help_first_in_the_senders_language(
    language: str,
) -> None:
    country = HOME[language]
    draft = compose(original(language, country), records(), FROM)
    assert draft.template == f"{language}/crisis"
    assert detect_language(draft.text, draft.subject).language == language
    assert draft.problems == ()
    # The emergency number and a crisis line come first: within the first ten lines.
    head = "\n".join(draft.text.splitlines()[:10])
    assert any(number in head for number in phones(country, ResourceKind.EMERGENCY))
    lines = phones(country, ResourceKind.CRISIS_LINE)
    if lines:
        assert any(number in head for number in lines)
    else:  # no confirmed line: the international directories instead
        assert any(url in head for url in international_urls())
    kinds = {r.kind for r in draft.resources}
    assert ResourceKind.EMERGENCY in kinds and ResourceKind.CRISIS_LINE in kinds


@pytest.mark.parametrize("language", SUPPORTED)
def test_an_unknown_country_gets_the_international_help_and_the_question(language: str) -> None:
    templates = Templates()
    question = templates.render(language, "ask_country", {}).text.strip()
    for urgency in ("crisis", "urgent", "routine"):
        draft = compose(original(language, None, urgency), records(), FROM, templates)
        assert question in draft.text, urgency
        assert detect_language(draft.text, draft.subject).language == language
    crisis = compose(original(language, None), records(), FROM, templates)
    assert crisis.problems == ()
    assert "112" in crisis.text  # works from a mobile phone in most countries
    assert any(url in crisis.text for url in international_urls())


@pytest.mark.parametrize("language", SUPPORTED)
def test_other_templates_are_in_the_language_too(language: str) -> None:
    country = HOME[language]
    for urgency, follow_up, name in (
        ("urgent", False, "urgent"),
        ("routine", False, "routine"),
        ("routine", True, "follow_up"),
        ("crisis", True, "crisis"),  # a crisis is a crisis, follow-up or not
    ):
        draft = compose(original(language, country, urgency, follow_up=follow_up), records(), FROM)
        assert draft.template == f"{language}/{name}"
        assert detect_language(draft.text, draft.subject).language == language, name


def test_the_reply_threads_under_the_original() -> None:
    draft = compose(
        original("pt", "PT", references=("<root@example.org>",), subject="Ajuda"), records(), FROM
    )
    message = email.message_from_bytes(bytes(draft.as_email()), policy=email.policy.default)
    assert message["Subject"] == "Re: Ajuda"
    assert message["In-Reply-To"] == "<m1@example.org>"
    assert message["References"].split() == ["<root@example.org>", "<m1@example.org>"]
    assert message["From"].addresses[0].addr_spec == FROM
    assert message["Reply-To"].addresses[0].addr_spec == FROM
    assert message["To"] == "sam@example.org"
    assert message["Content-Language"] == "pt"
    assert message["Message-ID"].endswith("@backline.care>")
    assert message["Message-ID"] != "<m1@example.org>"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == draft.text
    assert 'lang="pt"' in html.get_content()


def test_reply_subjects() -> None:
    assert reply_subject("Re: Ajuda", "x") == "Re: Ajuda"
    assert reply_subject("RE: help", "x") == "RE: help"
    assert reply_subject("", "Your message to Backline") == "Re: Your message to Backline"
    assert reply_subject("long\n subject\r\n folded", "x") == "Re: long subject folded"


def test_no_header_injection_from_a_subject_or_a_name() -> None:
    evil = original(
        "en", "GB", "routine",
        subject="hi\r\nBcc: victim@example.com",
        sender_name="Eve\r\nBcc: x@example.com",
    )  # fmt: skip
    message = compose(evil, records(), FROM).as_email()
    raw = bytes(message)
    head = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in head and b"\r\nBcc:" not in head
    assert message["Subject"] == "Re: hi Bcc: victim@example.com"


def test_names_and_text_are_escaped_in_the_html() -> None:
    draft = compose(
        original("en", "GB", "routine", sender_name="<script>x</script>"), records(), FROM
    )
    assert "<script>" in draft.text
    assert "<script>" not in draft.html and "&lt;script&gt;" in draft.html
    assert '<a href="https://' in draft.html


def test_html_is_made_from_the_text() -> None:
    html = to_html("Hello,\n\nCall:\n- Line: 116 123 · https://x.org/a.\n\nBye,\nUs\n", "ar")
    assert 'dir="rtl"' in html
    assert "<p>Call:</p>\n<ul>\n<li>Line: 116 123 · " in html
    assert '<a href="https://x.org/a">https://x.org/a</a>.' in html
    assert "<p>Bye,<br>\nUs</p>" in html


def test_the_safety_check_follows_an_edit() -> None:
    seed = list(records())
    assert crisis_problems("Call 213 544 545 now", "PT", seed) == []
    assert crisis_problems("Call +351 213 544 545 now", "PT", seed) == []
    assert crisis_problems("Call 112", "PT", seed) == []  # the emergency number fits too
    assert crisis_problems("See https://findahelpline.com/ please", "PT", seed) == []
    problems = crisis_problems("We are thinking of you.", "PT", seed)
    assert len(problems) == 1
    assert "no crisis line and no emergency number for PT" in problems[0]
    assert "112" in problems[0]  # an example of what would do
    # A number of another country does not fit.
    assert crisis_problems("Call 988", "PT", seed) != []
    assert crisis_problems("Call 988", None, seed) != []


def test_numbers_are_compared_by_digits() -> None:
    assert names_number("ring 116-123 today", "116 123")
    assert names_number("(0800) 58 58 58", "0800 58 58 58")
    assert names_number("0800 58 58 58", "+44 800 58 58 58")
    assert names_number("213 544 545", "+351 21 354 4545")
    assert not names_number("call 2112", "112")
    assert not names_number("call 112 or 911", "112911")


def test_topics_add_the_programs_that_apply() -> None:
    text = "I'm on tour and I can't afford therapy anymore. Writing songs helps."
    assert find_topics(text, "en") == ("therapy_costs", "touring", "songwriting")
    us = compose(original("en", "US", "routine", topics=find_topics(text, "en")), records(), FROM)
    keys = {r.key for r in us.resources}
    assert {"us-therapy-grants", "int-mind-the-music-guide", "int-songwriter-residencies"} <= keys
    gb = compose(original("en", "GB", "routine", topics=find_topics(text, "en")), records(), FROM)
    assert "us-therapy-grants" not in {r.key for r in gb.resources}  # United States only
    assert "Music Minds Matter" in gb.text


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Acabo de volver de la gira por Europa", "es", ("touring",)),
        ("Estou em turnê e não consigo pagar a terapia", "pt", ("therapy_costs", "touring")),
        ("Wir spielen diesen Sommer auf drei Festivals", "de", ("festivals",)),
        ("je vais faire un tour dehors", "fr", ()),  # a walk, not a tour
        ("ツアー中でずっと眠れません", "ja", ("touring",)),
        ("작사 작곡을 하는데 요즘 아무것도 못 쓰겠어요", "ko", ("songwriting",)),
    ],
)
def test_topics_in_other_languages(text: str, language: str, expected: tuple[str, ...]) -> None:
    assert find_topics(text, language) == expected


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "_shared").mkdir(parents=True)
    (folder / "en").mkdir()
    source = Path(__file__).parents[2] / "reply_templates"
    for name in ("_shared/resources.txt.j2", "en/labels.yaml", "en/ask_country.txt.j2"):
        (folder / name).write_text((source / name).read_text("utf-8"), "utf-8")
    (folder / "en" / "routine.txt.j2").write_text("Hello {{ nickname }}\n", "utf-8")
    with pytest.raises(TemplateError, match=r"routine.txt.j2: 'nickname' is undefined"):
        Templates(folder).render("en", "routine", {})
    problems = check_templates(records(), ["en", "pt"], Templates(folder))
    assert any("pt: missing" in problem for problem in problems)
    assert any("'nickname' is undefined" in problem for problem in problems)
    assert any("crisis.txt.j2: template not found" in problem for problem in problems)


def test_labels_are_checked(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "labels.yaml").write_text("language: en\nteam: Us\n", "utf-8")
    with pytest.raises(TemplateError, match=r"labels.yaml: missing label 'chat'"):
        Templates(tmp_path).labels("en")


def test_a_broken_template_or_labels_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "labels.yaml").write_text("language: en\nteam: [unclosed\n", "utf-8")
    with pytest.raises(TemplateError, match=r"en/labels.yaml: not valid YAML"):
        Templates(tmp_path).labels("en")
    source = Path(__file__).parents[2] / "reply_templates" / "en" / "labels.yaml"
    (tmp_path / "en" / "labels.yaml").write_text(source.read_text("utf-8"), "utf-8")
    (tmp_path / "en" / "routine.txt.j2").write_text("Hello\n{% if name %}\nno end\n", "utf-8")
    with pytest.raises(TemplateError, match=r"routine.txt.j2:\d+: Unexpected end of template"):
        Templates(tmp_path).render("en", "routine", {"name": None})
