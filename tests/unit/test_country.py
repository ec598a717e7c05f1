from __future__ import annotations

import pytest

from concierge.triage.country import detect_country


@pytest.mark.parametrize(
    ("text", "sender", "country"),
    [
        ("Olá, procuro um psicólogo aqui em Lisboa.", "ines@gmail.com", "PT"),
        ("Moro em São Paulo.", "rafa@gmail.com", "BR"),
        ("I live in Paris, Texas and need help", "a@gmail.com", "US"),
        ("J'habite à Paris.", "a@gmail.com", "FR"),
        ("Vivo en Córdoba, España.", "x@gmail.com", "ES"),
        ("Vivo en Córdoba, Argentina.", "x@gmail.com", "AR"),
        ("Ich wohne in der Schweiz.", "x@gmail.com", "CH"),
        ("東京に住んでいます", "x@gmail.com", "JP"),
        ("我在台北工作", "x@gmail.com", "TW"),
        ("Mi número: +52 55 0000 0000", "x@gmail.com", "MX"),
        ("hi", "x@web.de", "DE"),
        ("hi", "x@example.co.uk", "GB"),
        ("oi", "x@banda.com.br", "BR"),
    ],
)
def test_evidence_gives_the_country(text: str, sender: str, country: str) -> None:
    assert detect_country(text, sender).country == country


@pytest.mark.parametrize(
    ("text", "sender"),
    [
        ("Olá, preciso de falar com alguém.", "ana@gmail.com"),  # language is no evidence
        ("Hola, como estás? Para mí es difícil.", "x@gmail.com"),  # common words, not towns
        ("Nice to meet you. Split the fee?", "x@outlook.com"),
        ("hi", "x@startup.io"),  # a generic-use country-code domain
        ("hello", "x@label.tv"),
    ],
)
def test_no_real_signal_gives_no_country(text: str, sender: str) -> None:
    assert detect_country(text, sender).country is None


def test_the_evidence_is_kept() -> None:
    result = detect_country("Estou em São Paulo", "x@uol.com.br", "Mon, 23 Nov 2026 10:00:00 -0300")
    kinds = {(e.kind, e.country) for e in result.evidence}
    assert {("city", "BR"), ("domain", "BR"), ("date_offset", "BR")} <= kinds
    assert result.confidence > 0.9


def test_the_date_offset_alone_is_not_enough() -> None:
    assert detect_country("hello", "x@gmail.com", "Mon, 23 Nov 2026 10:00:00 +0900").country is None


def test_a_phone_number_outweighs_a_place_named_in_passing() -> None:
    result = detect_country(
        "Estamos de gira por Japón.\n-- \nLucía\n+34 600 000 000", "l@gmail.com"
    )
    assert result.country == "ES"


def test_an_earlier_message_in_the_conversation_counts() -> None:
    assert detect_country("thanks again", "x@gmail.com", conversation=["IE"]).country == "IE"


def test_a_place_named_again_is_one_piece_of_evidence() -> None:
    text = "Burnout? Burnout. Ich wohne in Köln und schreibe über Burnout."
    result = detect_country(text, "lena@example.de")
    assert result.country == "DE"
    assert len([e for e in result.evidence if e.text == "Köln"]) == 1


def test_indie_is_a_genre_before_it_is_india() -> None:
    result = detect_country("Wir sind eine Indie-Band aus Hamburg.", "x@gmail.com")
    assert result.country == "DE"
