"""`make serve` refuses settings that must not serve production, and says why."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _check(**env: str | None) -> subprocess.CompletedProcess:
    """`scripts.serve --check` with these variables (None: unset)."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(SECRET_KEY="serve-test-" + "k" * 40)
    environment.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-m", "scripts.serve", "--check"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


PG = "postgres://postgres@127.0.0.1:5432/serve_check_never_connected"


def test_debug_on_is_refused():
    result = _check(DEBUG="true", DATABASE_URL=PG)
    assert result.returncode == 2
    assert "DEBUG is on" in result.stderr
    assert "PostgreSQL" not in result.stderr


def test_sqlite_or_no_database_url_is_refused(tmp_path):
    for url in (None, f"sqlite:///{tmp_path / 'db.sqlite3'}"):
        result = _check(DEBUG="false", DATABASE_URL=url)
        assert result.returncode == 2, url
        assert "does not name PostgreSQL" in result.stderr
        assert "SKIP LOCKED" in result.stderr


def test_postgresql_without_debug_may_serve():
    result = _check(DEBUG="false", DATABASE_URL=PG)
    assert result.returncode == 0, result.stderr
    assert "fit production" in result.stdout
