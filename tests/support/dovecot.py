"""A real Dovecot IMAP server for the tests, on a loopback port, in a folder of its own.

It runs unprivileged the way these machines allow: the login process as `dovenull`,
mail owned by `dovecot`, its own base and state folders, a passwd-file with a PLAIN
password. Messages are delivered with IMAP APPEND, as a mail server would store them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from imapclient import IMAPClient

USER = "concierge"
PASSWORD = "s3cret-test-password"
CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
mail_location = maildir:{root}/mail/%u
imap_idle_notify_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def dovecot_problem() -> str | None:
    if shutil.which("dovecot") is None:
        return "Debian's dovecot-imapd is not installed (tests/run.sh installs it)"
    if os.geteuid() != 0:
        return "Dovecot's test instance must be started as root"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    def __init__(self, root: Path, tls: bool = False) -> None:
        self.root = root
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.process: subprocess.Popen[bytes] | None = None
        dovecot = pwd.getpwnam("dovecot")
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(root / "mail", dovecot.pw_uid, dovecot.pw_gid)
        root.chmod(0o755)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "passwd").chmod(0o644)
        self.config = root / "dovecot.conf"
        ssl = "ssl = no"
        if tls:
            self.certificate = self._make_certificate()
            ssl = f"ssl = yes\nssl_cert = <{self.certificate}\nssl_key = <{root / 'key.pem'}"
        config = CONFIG.format(root=root, port=self.port, tls_port=self.tls_port, ssl=ssl)
        self.config.write_text(config)

    def _make_certificate(self) -> Path:
        """A self-signed certificate for 127.0.0.1; clients trust it via SSL_CERT_FILE."""
        certificate = self.root / "cert.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(self.root / "key.pem"), "-out", str(certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
        return certificate

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        client.select_folder("INBOX")
        return client

    def deliver(self, *messages: bytes) -> None:
        client = self.client()
        try:
            for message in messages:
                client.append("INBOX", message)
        finally:
            client.logout()

    def kick(self) -> None:
        """Drop every IMAP connection, as a server restart or a network fault would."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", USER],
            check=True,
            capture_output=True,
        )

    def reset_uidvalidity(self) -> None:
        """Make the server forget its UIDs: same messages, new UIDVALIDITY."""
        self.stop()
        maildir = self.root / "mail" / USER
        for path in maildir.rglob("dovecot*"):
            if path.is_file():
                path.unlink()
        time.sleep(1.1)  # UIDVALIDITY is taken from the clock, in seconds
        self.start()

    def keyword_count(self, keyword: str) -> int:
        client = self.client()
        try:
            return len(client.search(["KEYWORD", keyword]))
        finally:
            client.logout()

    def env(self) -> dict[str, str]:
        return {
            "CONCIERGE_IMAP_HOST": "127.0.0.1",
            "CONCIERGE_IMAP_PORT": str(self.port),
            "CONCIERGE_IMAP_USER": USER,
            "CONCIERGE_IMAP_PASSWORD": PASSWORD,
            "CONCIERGE_IMAP_SSL": "false",
        }
