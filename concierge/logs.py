"""Logging: named loggers per area, structured fields, never the text of a message."""

from __future__ import annotations

import enum
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class FieldsFormatter(logging.Formatter):
    """`time level logger: message key=value ...`, the fields from `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {
            key: value.value if isinstance(value, enum.Enum) else value
            for key, value in vars(record).items()
            if key not in _STANDARD
        }
        if fields:
            line += " " + " ".join(f"{key}={value!r}" for key, value in sorted(fields.items()))
        return line


def configure(level: str) -> None:
    root = logging.getLogger("concierge")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
