from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot, dovecot_problem


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    problem = dovecot_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot is needed under CI: {problem}")
        pytest.skip(problem)
    # Not under pytest's own temporary folder: that one is private to root, and
    # Dovecot's unprivileged processes must reach their files.
    root = Path(tempfile.mkdtemp(prefix="concierge-dovecot-"))
    server = Dovecot(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
