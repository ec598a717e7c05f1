"""False alarms on ordinary text: lingua's sentences, four at a time, through the rules.

    .venv/bin/python bench/false_alarms.py [--data ../shared/data/lingua-testdata]
                                           [--limit 1000] [--show 3]

lingua's test sentences are news, encyclopaedia and everyday prose in each language;
none is written to us, so every crisis (and nearly every urgent) found there is a
false alarm. Each chunk of four sentences is read as a message would be: by its
language's rules and the English ones. Prints, per language, the chunks read and
the crises and urgents found, and the rules behind the most frequent ones.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concierge.triage.language import SUPPORTED
from concierge.triage.urgency import default_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "lingua-testdata"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--limit", type=int, default=1000, help="sentences per language")
    parser.add_argument("--show", type=int, default=3, help="rules to name per language")
    args = parser.parse_args()
    classifier = default_classifier()
    totals: Counter[str] = Counter()
    print("lang  chunks  crisis  urgent  rules behind them")
    for language in SUPPORTED:
        path = args.data / "sentences" / f"{language}.txt"
        lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        lines = lines[: args.limit]
        chunks = [" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
        found: Counter[str] = Counter()
        rules: Counter[str] = Counter()
        for chunk in chunks:
            urgency = classifier.classify(chunk, [language, "en"])
            found[urgency.level] += 1
            if urgency.level != "routine":
                rules.update({r.rule for r in urgency.reasons if r.effect == urgency.level})
        named = ", ".join(f"{rule} {n}" for rule, n in rules.most_common(args.show))
        counts = f"{len(chunks):>6}  {found['crisis']:>6}  {found['urgent']:>6}"
        print(f"{language:<5} {counts}  {named}")
        totals.update({"chunks": len(chunks), **found})
    print(
        f"all   {totals['chunks']:>6}  {totals['crisis']:>6}  {totals['urgent']:>6}  "
        f"({totals['crisis'] / totals['chunks']:.2%} crisis, "
        f"{totals['urgent'] / totals['chunks']:.2%} urgent)"
    )


if __name__ == "__main__":
    main()
