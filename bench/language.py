"""Our language detector against plain langdetect, side by side, on lingua's test data.

    .venv/bin/python bench/language.py [--data ../shared/data/lingua-testdata] [--limit N]

Each item (a sentence, or a two-word pair) is given as the body of an email with an
empty subject and goes through the same parsing as real mail. Plain langdetect
(seed 0) reads the same body. Reported: accuracy per language and over all 28.
"""

from __future__ import annotations

import argparse
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import langdetect
from langdetect import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concierge.intake.parse import parse_message
from concierge.triage.language import SUPPORTED, detect_language

_PLAIN_CODES = {"no": "nb", "zh-cn": "zh", "zh-tw": "zh"}


def plain(text: str) -> str:
    try:
        code = langdetect.detect(text)
    except LangDetectException:
        return "und"
    return _PLAIN_CODES.get(code, code)


def as_email(body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.com"
    message["Subject"] = ""
    message.set_content(body)
    return bytes(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "lingua-testdata"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    DetectorFactory.seed = 0
    for kind in ("sentences", "word-pairs"):
        ours_total = plain_total = count = 0
        rows = []
        started = time.perf_counter()
        for language in SUPPORTED:
            path = args.data / kind / f"{language}.txt"
            items = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            items = [item for item in items if item][: args.limit]
            ours = plain_right = 0
            for item in items:
                parsed = parse_message(as_email(item), 1 << 20)
                ours += detect_language(parsed.new_text, parsed.subject).language == language
                plain_right += plain(parsed.body_text) == language
            rows.append(f"  {language}  {ours / len(items):6.1%}  {plain_right / len(items):6.1%}")
            ours_total, plain_total, count = (
                ours_total + ours,
                plain_total + plain_right,
                count + len(items),
            )
        print(f"{kind}: {count} items, {time.perf_counter() - started:.0f} s")
        print("  lang    ours  langdetect")
        print("\n".join(rows))
        print(f"  all   {ours_total / count:6.1%}  {plain_total / count:6.1%}")


if __name__ == "__main__":
    main()
