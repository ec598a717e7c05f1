"""The web app as served by `concierge web`, over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def web_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env["CONCIERGE_WEB_PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "concierge", "web"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"concierge web did not start: {output}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_check(web_url: str) -> None:
    assert get(f"{web_url}/healthz") == (200, {"status": "ok"})


def test_lookup_over_http(web_url: str) -> None:
    status, body = get(f"{web_url}/api/resources?country=JP&language=ja&urgency=crisis")
    assert status == 200
    resources = body["resources"]
    assert isinstance(resources, list)
    assert resources[0]["kind"] == "emergency"
    assert {"kind": "phone", "value": "119", "hours": "24/7", "timezone": None} in resources[0][
        "contacts"
    ]


def test_bad_parameter_is_a_clear_400(web_url: str) -> None:
    assert get(f"{web_url}/api/resources?country=XX") == (
        400,
        {"error": "country: 'XX' is not an ISO 3166-1 alpha-2 code"},
    )
