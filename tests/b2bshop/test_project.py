import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [block.strip() for block in blocks]


class ReadmeTests:
    def test_ci_runs_the_readme_test_command(self):
        test_command = next(command for command in _readme_commands() if "pytest" in command)
        assert test_command in (ROOT / ".ci" / "run").read_text()

    def test_readme_demo_command_runs_the_demo(self):
        assert any(command.endswith("manage.py demo") for command in _readme_commands())


class EmbeddedDefaultTests:
    def test_no_environment_means_sqlite_eager_celery_and_local_memory_cache(self):
        script = (
            "import json, django; from django.conf import settings; django.setup();"
            "print(json.dumps([settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
            " settings.CACHES['default']['BACKEND'], settings.DEBUG]))"
        )
        env = {"DJANGO_SETTINGS_MODULE": "b2bshop.settings", "PATH": "/usr/bin:/bin"}
        output = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
        engine, eager, cache_backend, debug = json.loads(output)
        assert engine == "django.db.backends.sqlite3"
        assert eager is True
        assert cache_backend == "django.core.cache.backends.locmem.LocMemCache"
        assert debug is True

    def test_production_refuses_to_start_without_a_secret_key(self):
        env = {"DJANGO_SETTINGS_MODULE": "b2bshop.settings", "DEBUG": "false", "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
class HealthzTests:
    def test_healthz_answers_ok_when_the_database_answers(self, client):
        response = client.get("/healthz/")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
