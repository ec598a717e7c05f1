"""Triage throughput, start-up time and peak memory, against plain langdetect.

    .venv/bin/python bench/triage.py [--messages 5000]

The messages are the labelled corpus (tests/corpus) and the sample inbox, repeated
with small changes until there are enough, run on one core. The baseline is the
same loop calling plain langdetect on the same texts (the cheapest thing a
"triage" could do), to give a ratio. Targets (the triage issue): at least 200
messages/s, start-up under 2 s, peak memory under 500 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def base_messages() -> list[bytes]:
    from concierge.triage.evaluation import load_corpus

    base = [case.raw for case in load_corpus(ROOT / "tests" / "corpus")]
    return base + [p.read_bytes() for p in sorted((ROOT / "db" / "sample_inbox").glob("*.eml"))]


def messages(count: int) -> list[bytes]:
    base = base_messages()
    out = []
    for number in range(count):
        raw = base[number % len(base)]
        out.append(raw.replace(b"Subject: ", f"Subject: [{number}] ".encode(), 1))
    return out


def startup() -> float:
    """Seconds from a fresh interpreter to the first message triaged."""
    sample = ROOT / "db" / "sample_inbox" / "08-sao-paulo-crisis.eml"
    code = (
        "import time; t=time.perf_counter();"
        "from concierge.triage.pipeline import triage;"
        f"triage(open({str(sample)!r},'rb').read());"
        "print(time.perf_counter()-t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    first_start = startup()
    second_start = startup()
    print(
        f"start-up to the first triaged message: {first_start:.2f} s (cold caches), "
        f"{second_start:.2f} s (warm)"
    )

    from concierge.intake.parse import parse_message
    from concierge.triage.pipeline import triage, warm_up

    batch = messages(args.messages)
    warm_up()  # every language's rules and the place index, as the worker does at start
    triage(batch[0])
    distinct = len(base_messages())
    started = time.perf_counter()
    crisis = 0
    for number, raw in enumerate(batch, start=1):
        crisis += triage(raw).urgency == "crisis"
        if number == distinct:
            first_pass = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    import langdetect
    from langdetect import DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    texts = [parse_message(raw, 1 << 20).new_text for raw in batch]
    started = time.perf_counter()
    for text in texts:
        with contextlib.suppress(LangDetectException):
            langdetect.detect(text)
    baseline = time.perf_counter() - started
    print(
        f"triage: {len(batch)} messages in {elapsed:.2f} s = "
        f"{len(batch) / elapsed:,.0f} messages/s on one core ({crisis} crisis)"
    )
    if len(batch) >= distinct:
        print(
            f"  of which the first {distinct} (every text new to the process): "
            f"{distinct / first_pass:,.0f} messages/s; the rest repeat them with a new "
            "subject, and words already seen cost less"
        )
    print(
        f"plain langdetect on the same texts: {len(batch) / baseline:,.0f} messages/s; "
        f"triage takes {elapsed / baseline:.1f}x the time of langdetect alone"
    )
    print(f"peak memory (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()
