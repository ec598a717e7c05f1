"""Entry point of the web app process: `python workers/web.py` (or `concierge web`)."""

from concierge.cli import main

if __name__ == "__main__":
    main(["web"])
