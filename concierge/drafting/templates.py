"""The reply templates in `reply_templates/`: loaded, rendered, and checked.

Each supported language has a folder with the five templates (crisis, urgent,
routine, ask_country, follow_up) and `labels.yaml`, the words the shared partials
in `_shared/` use. A template writes plain text; the HTML alternative is made from
that same text (paragraphs, lists, links), so the two can never say different things.
Undefined variables are errors (StrictUndefined), never blanks.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from concierge import paths
from concierge.errors import ConciergeError

TEMPLATES = ("crisis", "urgent", "routine", "ask_country", "follow_up")
SHARED = "_shared"
LABEL_KEYS = frozenset(
    {"language", "team", "subject_fallback", "phone", "sms", "chat", "email", "open_24_7",
     "programs"}
)  # fmt: skip
RIGHT_TO_LEFT = frozenset({"ar", "he"})


class TemplateError(ConciergeError):
    """A reply template cannot be used; the message names the template and the problem."""


@dataclass(frozen=True)
class Rendered:
    template: str  # "pt/crisis"
    version: str  # a hash of every file the rendering read
    text: str
    html: str


class Templates:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.project_dir("reply_templates")
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.folder),
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.do"],
            autoescape=False,  # plain text; the HTML is escaped when it is made
            keep_trailing_newline=True,
            # Read once, like the labels and the version hash: a template edit takes
            # effect when the worker starts again, never half-way (new text, old version).
            auto_reload=False,
        )
        self._labels: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, str] = {}
        self._languages: list[str] | None = None

    def languages(self) -> list[str]:
        if self._languages is None:  # asked for every draft: the folder is listed once
            self._languages = sorted(
                p.name for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith("_")
            )
        return self._languages

    def labels(self, language: str) -> dict[str, Any]:
        if language not in self._labels:
            path = self.folder / language / "labels.yaml"
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise TemplateError(f"{path}: missing (every language needs its labels)") from None
            except yaml.YAMLError as error:
                raise TemplateError(f"{path}: not valid YAML: {error}") from None
            if not isinstance(data, dict):
                raise TemplateError(f"{path}: expected a mapping of labels")
            missing = LABEL_KEYS - set(data)
            if missing:
                raise TemplateError(f"{path}: missing label {sorted(missing)[0]!r}")
            if data["language"] != language:
                raise TemplateError(
                    f"{path}: language is {data['language']!r}, but the folder is {language!r}"
                )
            if not isinstance(data["programs"], dict):
                raise TemplateError(f"{path}: programs must map program keys to descriptions")
            self._labels[language] = data
        return self._labels[language]

    def render(self, language: str, name: str, context: dict[str, Any]) -> Rendered:
        if name not in TEMPLATES:
            raise TemplateError(f"unknown template {name!r} (expected one of {TEMPLATES})")
        where = f"{language}/{name}.txt.j2"
        try:
            template = self.env.get_template(where)
            text = template.render(**context, labels=self.labels(language), language=language)
        except jinja2.TemplateNotFound as error:
            raise TemplateError(
                f"{self.folder / (error.name or where)}: template not found"
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(
                f"{error.filename or where}:{error.lineno}: {error.message}"
            ) from None
        except jinja2.UndefinedError as error:
            raise TemplateError(f"{self.folder / where}: {error.message}") from None
        text = tidy(text)
        return Rendered(f"{language}/{name}", self.version(language), text, to_html(text, language))

    def version(self, language: str) -> str:
        """One hash over the language's files and the shared partials."""
        if language not in self._versions:
            digest = hashlib.sha256()
            for folder in (self.folder / SHARED, self.folder / language):
                for path in sorted(folder.glob("*")):
                    digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            self._versions[language] = digest.hexdigest()[:12]
        return self._versions[language]


@cache
def default_templates() -> Templates:
    return Templates()


def tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


_LINK = re.compile(r"(https?://[^\s<>\"')]+[^\s<>\"').,;:!?])|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def _linked(line: str) -> str:
    out, last = [], 0
    for found in _LINK.finditer(line):
        out.append(html.escape(line[last : found.start()]))
        url, address = found.groups()
        target = url or f"mailto:{address}"
        out.append(f'<a href="{html.escape(target)}">{html.escape(found.group())}</a>')
        last = found.end()
    out.append(html.escape(line[last:]))
    return "".join(out)


def to_html(text: str, language: str) -> str:
    """The HTML alternative of a plain-text reply: paragraphs, lists and links."""
    blocks: list[str] = []
    for block in text.strip().split("\n\n"):
        # Runs of list items ("- ...") and of other lines, each run one element.
        run: list[str] = []
        listing = False
        for line in [*block.splitlines(), None]:
            item = line is not None and line.startswith("- ")
            if run and (line is None or item != listing):
                if listing:
                    blocks.append("<ul>\n" + "\n".join(f"<li>{i}</li>" for i in run) + "\n</ul>")
                else:
                    blocks.append("<p>" + "<br>\n".join(run) + "</p>")
                run = []
            if line is not None:
                listing = item
                run.append(_linked(line[2:] if item else line))
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    body = "\n".join(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}" dir="{direction}">\n'
        f'<head><meta charset="utf-8"></head>\n<body>\n{body}\n</body>\n</html>\n'
    )
