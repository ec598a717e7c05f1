"""HTML bodies to plain text, for people who write mail only in HTML.

A small converter on the standard library's tokenizer: no markup is run, scripts and
styles are dropped, block elements become line breaks, and quoted blocks (a
`blockquote`, Gmail's `gmail_quote`) are kept as `> ` lines so that the reply
splitter can set them apart.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "divRplyFwdMsg")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skipping = 0
        self.quote_depth = 0
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
            return
        classes = " ".join(value or "" for name, value in attrs if name in ("class", "id"))
        quoting = tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES)
        if tag not in ("br", "hr", "img", "meta", "link", "input", "wbr"):
            self.stack.append((tag, quoting))
        if quoting:
            self.quote_depth += 1
        if tag == "br" or tag in _BLOCKS:
            self._newline()
        if tag == "li":
            self.lines[-1] += "- "

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        while self.stack:
            open_tag, quoting = self.stack.pop()
            if quoting:
                self.quote_depth -= 1
            if open_tag == tag:
                break
        if tag in _BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"\s+", " ", data)
        if not self.lines[-1].strip():
            text = text.lstrip()
            if text and self.quote_depth:
                self.lines[-1] = "> " * self.quote_depth
        self.lines[-1] += text

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")


def html_to_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = [line.rstrip() for line in collector.lines]
    return "\n".join(lines).strip()
