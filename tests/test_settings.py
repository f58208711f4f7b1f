"""Production settings fail closed; the embedded default needs no services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOOD = {
    "SECRET_KEY": "k3y-" + "".join(chr(65 + i % 26) + str(i) for i in range(30)),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/candor",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "candor.example",
    "EMAIL_HOST": "smtp.candor.example",
}


def load_settings(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {*GOOD, "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST"])
def test_production_refuses_to_start_without_a_required_setting(missing: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = load_settings("config.settings.production", env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_the_development_secret_key() -> None:
    result = load_settings(
        "config.settings.production", GOOD | {"SECRET_KEY": "insecure-local-only-key"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_starts_with_everything_set() -> None:
    result = load_settings("config.settings.production", GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_production_passes_the_deployment_checks() -> None:
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **GOOD},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_default_uses_sqlite_and_a_filesystem_broker(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "CANDOR_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"], result.stderr
