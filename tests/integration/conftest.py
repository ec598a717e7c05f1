from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot, dovecot_problem


@pytest.fixture
def make_dovecot() -> Iterator[Callable[..., Dovecot]]:
    """A factory of running Dovecot servers (`tls=True` for SSL and STARTTLS)."""
    problem = dovecot_problem() or (None if shutil.which("openssl") else "openssl is missing")
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot is needed under CI: {problem}")
        pytest.skip(problem)
    started: list[tuple[Dovecot, Path]] = []

    def make(tls: bool = False) -> Dovecot:
        # Not under pytest's own temporary folder: that one is private to root, and
        # Dovecot's unprivileged processes must reach their files.
        root = Path(tempfile.mkdtemp(prefix="concierge-dovecot-"))
        server = Dovecot(root, tls=tls)
        started.append((server, root))
        server.start()
        return server

    yield make
    for server, root in started:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(make_dovecot: Callable[..., Dovecot]) -> Dovecot:
    return make_dovecot()
