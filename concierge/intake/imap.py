"""The IMAP mailbox: connect, find what is not stored yet, mark what is, wait with IDLE.

A stored message is marked on the server with the keyword `$ConciergeStored`
(RFC 3501 keywords; never \\Seen, which people set by reading). The search for new
mail asks for messages without that keyword, so a crash between storing and
marking only means the message is seen again, found in the database and marked.
Where the server does not allow keywords, the highest stored UID is the marker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import logging
import shlex
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from concierge.errors import ConfigError
from concierge.intake.ingest import Fetched

log = logging.getLogger("concierge.intake")

KEYWORD = "$ConciergeStored"
FETCH_BATCH = 100
# Errors after which a new connection may succeed: the network, the server going away.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    socket.timeout,
    ssl.SSLError,
    imaplib.IMAP4.abort,
    IMAPClientError,
)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    use_ssl: bool
    folder: str
    oauth2_command: str
    timeout: float = 60.0


class ImapMailbox:
    """One connection to one folder."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.name = f"imap:{settings.user}@{settings.host}:{settings.port}/{settings.folder}"
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.keywords_allowed = True

    def connect(self) -> None:
        s = self.settings
        client = IMAPClient(s.host, port=s.port, ssl=s.use_ssl, timeout=s.timeout)
        client.normalise_times = False  # keep INTERNALDATE's zone
        try:
            if not s.use_ssl and client.has_capability("STARTTLS"):
                client.starttls(ssl.create_default_context())
            if s.oauth2_command:
                client.oauth2_login(s.user, _oauth2_token(s.oauth2_command))
            else:
                client.login(s.user, s.password)
            selected = client.select_folder(s.folder)
        except BaseException:
            _close_quietly(client)
            raise
        self.client = client
        self.uidvalidity = int(selected[b"UIDVALIDITY"])
        permanent = selected.get(b"PERMANENTFLAGS", ())
        self.keywords_allowed = b"\\*" in permanent
        log.info(
            "connected to mailbox",
            extra={"mailbox": self.name, "idle": self.can_idle, "keywords": self.keywords_allowed},
        )

    @property
    def can_idle(self) -> bool:
        return bool(self.client and self.client.has_capability("IDLE"))

    def unstored_uids(self, last_uid: int) -> list[int]:
        client = self._client()
        if self.keywords_allowed:
            return sorted(int(uid) for uid in client.search(["UNKEYWORD", KEYWORD]))
        return sorted(int(u) for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, Fetched]]:
        client = self._client()
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            response = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in batch:
                data = response.get(uid)
                if data is None:  # expunged meanwhile by someone else
                    continue
                raw = data.get(b"BODY[]") or b""
                received = data.get(b"INTERNALDATE")
                yield uid, Fetched(self.name, self.key(uid), raw, _utc(received))

    def mark_stored(self, uids: list[int]) -> None:
        if uids and self.keywords_allowed:
            self._client().add_flags(uids, [KEYWORD], silent=True)

    def key(self, uid: int) -> str:
        return f"{self.uidvalidity}:{uid}"

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """IDLE for at most `seconds`; True if the server reported new mail (RFC 2177).

        One IDLE command for the whole wait, checked every second so that a stop
        request is heard; the caller re-issues it well within the 29 minutes after
        which RFC 2177 lets a server drop an idle client.
        """
        client = self._client()
        if self.took_news():
            return True
        deadline = time.monotonic() + seconds
        client.idle()
        news = False
        try:
            while not news and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                responses = client.idle_check(timeout=min(1.0, remaining))
                if any(isinstance(r, tuple) and r[:1] == (b"BYE",) for r in responses):
                    raise imaplib.IMAP4.abort("the server closed the connection (BYE)")
                news = any(
                    isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT")
                    for r in responses
                )
        finally:
            client.idle_done()
        return news

    def took_news(self) -> bool:
        """Whether the server announced new mail while we were busy with other commands.

        An EXISTS that arrives during a FETCH or STORE is kept by imaplib, not passed
        on; without this check a message delivered just before IDLE would wait for the
        next IDLE period.
        """
        pending = getattr(self._client(), "_imap", None)
        responses = getattr(pending, "untagged_responses", None)
        if not isinstance(responses, dict):
            return False
        news = bool(responses.pop("EXISTS", None)) | bool(responses.pop("RECENT", None))
        return news

    def close(self) -> None:
        if self.client is not None:
            _close_quietly(self.client)
            self.client = None

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise imaplib.IMAP4.abort("not connected")
        return self.client


def _oauth2_token(command: str) -> str:
    """XOAUTH2 access token from a command (Google Workspace, Microsoft 365)."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise ConfigError(
            f"CONCIERGE_IMAP_OAUTH2_COMMAND: could not get a token: {type(error).__name__}"
        ) from None
    token = done.stdout.strip()
    if not token:
        raise ConfigError("CONCIERGE_IMAP_OAUTH2_COMMAND: the command printed no token")
    return token


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection is going away anyway
        with contextlib.suppress(Exception):
            client.shutdown()


def _utc(moment: object) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)
