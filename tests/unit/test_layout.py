"""The project's shape that other people and tools rely on."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_postgres_with_a_volume_and_health_checks() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "web", "worker"} <= set(services)
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "healthcheck" in services["db"]
    assert "healthcheck" in services["web"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "concierge db upgrade" in services["migrate"]["command"]
    url = services["web"]["environment"]["CONCIERGE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bash tests/run.sh" in readme
    assert "exec bash tests/run.sh" in (ROOT / ".ci" / "run").read_text()
