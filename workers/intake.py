"""Entry point of the intake worker process: `python workers/intake.py` (or `concierge worker`)."""

from concierge.cli import main

if __name__ == "__main__":
    main(["worker"])
