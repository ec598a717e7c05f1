from __future__ import annotations

import pytest

from concierge.triage.language import UNDETERMINED, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("안녕하세요, 도움이 필요해요", "ko"),
        ("助けてください。もう疲れました", "ja"),
        ("東京でライブがあります", "ja"),  # kanji with kana is Japanese
        ("我需要帮助", "zh"),
        ("ฉันต้องการความช่วยเหลือ", "th"),
        ("אני צריך עזרה", "he"),
        ("أحتاج إلى مساعدة", "ar"),
        ("Χρειάζομαι βοήθεια", "el"),
        ("मुझे मदद चाहिए", "hi"),
        ("Мне нужна помощь", "ru"),
        ("Мені потрібна допомога", "uk"),
        ("Preciso de ajuda, por favor", "pt"),
        ("Necesito ayuda, por favor", "es"),
        ("J'ai besoin d'aide", "fr"),
        ("Ich brauche Hilfe", "de"),
        ("Ho bisogno di aiuto", "it"),
        ("Ik heb hulp nodig", "nl"),
        ("Jag behöver hjälp", "sv"),
        ("Jeg har brug for hjælp", "da"),
        ("Jeg trenger hjelp", "nb"),
        ("Tarvitsen apua", "fi"),
        ("Potrzebuję pomocy", "pl"),
        ("Potřebuji pomoc", "cs"),
        ("Am nevoie de ajutor", "ro"),
        ("Yardıma ihtiyacım var", "tr"),
        ("Saya butuh bantuan", "id"),
        ("Tôi cần giúp đỡ", "vi"),
        ("Necessito ajuda, si us plau", "ca"),
        ("I need help", "en"),
    ],
)
def test_short_messages_in_every_supported_language(text: str, language: str) -> None:
    assert detect_language(text).language == language


def test_mixed_text_goes_by_the_main_language() -> None:
    text = "Olá! Estou em tour e o nosso manager disse 'take a break'. Preciso de falar com alguém."
    assert detect_language(text).language == "pt"
    assert detect_language("東京のライブ、very tired です。助けて").language == "ja"


def test_no_letters_is_undetermined() -> None:
    assert detect_language("+351 21 000 0000 :) 123").language == UNDETERMINED
    assert detect_language("").confidence == 0.0


def test_deterministic() -> None:
    text = "ok tour"
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_the_subject_helps_an_empty_body() -> None:
    assert detect_language("", subject="Preciso de ajuda, obrigado").language == "pt"


def test_the_fast_detector_gives_langdetects_own_probabilities() -> None:
    """Same n-grams, same seeded walk: every probability equal to langdetect's."""
    from pathlib import Path

    import yaml

    from concierge.triage.language import LATIN, _Detector, _factory

    texts = [
        "", "   ", "ABC DEF ghi jkl", "Ça va très bien,  merci!", "Tôi rất buồn hôm nay",
        "Привет мир and some English", "ǅemal ŞŢ șț", "visit https://x.org or a@b.cd now",
    ]  # fmt: skip
    for path in sorted((Path(__file__).parents[1] / "corpus").glob("*.yaml"))[:6]:
        texts += [str(item["body"]) for item in yaml.safe_load(path.read_text("utf-8"))]
    factory = _factory(LATIN)
    for text in texts:
        theirs, ours = factory.create(), _Detector(factory)
        for detector in (theirs, ours):
            detector.n_trial = 3
            detector.append(text)
        assert ours.text == theirs.text
        assert ours._extract_ngrams() == theirs._extract_ngrams()
        if theirs._extract_ngrams():
            assert [(p.lang, p.prob) for p in ours.get_probabilities()] == [
                (p.lang, p.prob) for p in theirs.get_probabilities()
            ]
