"""Errors that reach a person as one clear line: the input, then the problem."""

from __future__ import annotations


class ConciergeError(Exception):
    """An error whose message is fit to show as it is, on one line."""


class ConfigError(ConciergeError):
    """A setting has a value the program cannot use."""


class SchemaError(ConciergeError):
    """The database schema is missing or older than this program."""


class ImportRejected(ConciergeError):
    """A resource file has bad rows; nothing of it was imported."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(problems))
