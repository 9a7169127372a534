"""Deploy-mode settings pass `check --deploy`; every page is served under the Content Security Policy."""

import base64
import hashlib
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.segments.factories import SegmentFactory

ROOT = Path(__file__).resolve().parents[2]


def _deploy_env(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "b2bshop.settings",
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com",
        **extra,
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


class DeploySettingsTests:
    def test_check_deploy_finds_no_issue_in_deploy_mode(self):
        result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _deploy_env())
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    def test_check_deploy_warns_when_an_operator_turns_a_protection_off(self):
        # The test above can fail: the same check flags a deploy without HTTPS redirects.
        result = _run(["manage.py", "check", "--deploy"], _deploy_env(SECURE_SSL_REDIRECT="false"))
        assert "security.W008" in result.stdout + result.stderr

    def test_deploy_mode_settings(self):
        script = (
            "import json, django; from django.conf import settings as s; django.setup();"
            "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
            " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.SECURE_REDIRECT_EXEMPT]))"
        )
        result = _run(["-c", script], _deploy_env())
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == '[false, true, 31536000, true, true, true, null, ["^healthz/$"]]'

    def test_the_environment_overrides_hsts_and_the_proxy_header(self):
        script = (
            "import json, django; from django.conf import settings as s; django.setup();"
            "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER]))"
        )
        env = _deploy_env(
            SECURE_HSTS_SECONDS="3600", SECURE_HSTS_PRELOAD="false", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"
        )
        result = _run(["-c", script], env)
        assert result.stdout.strip() == '[3600, false, ["HTTP_X_FORWARDED_PROTO", "https"]]'

    @pytest.mark.parametrize("secret_key", ["", "embedded-demo-only-not-a-secret"])
    def test_deploy_mode_refuses_a_missing_or_demo_secret_key(self, secret_key):
        result = _run(["-c", "import django; django.setup()"], _deploy_env(SECRET_KEY=secret_key))
        assert result.returncode != 0
        assert "Set the SECRET_KEY environment variable" in result.stderr

    def test_the_embedded_default_stays_plain_http_and_debug(self):
        script = (
            "import json, django; from django.conf import settings as s; django.setup();"
            "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE]))"
        )
        result = _run(["-c", script], {"DJANGO_SETTINGS_MODULE": "b2bshop.settings", "PATH": "/usr/bin:/bin"})
        assert result.stdout.strip() == "[true, false, 0, false]"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def _inline_blocks(html: str, tag: str) -> list[tuple[str, str]]:
    """(attributes, body) of every inline <script>/<style> (scripts with src, JSON data excluded)."""
    blocks = re.findall(rf"<{tag}(\s[^>]*)?>(.*?)</{tag}>", html, flags=re.DOTALL)
    return [
        (attributes or "", body) for attributes, body in blocks
        if "src=" not in (attributes or "") and "application/json" not in (attributes or "")
    ]


def _assert_inline_code_allowed(response) -> None:
    """Each inline <script>/<style> carries the response's nonce or has its hash in the policy."""
    policy = _policy(response)
    html = response.content.decode()
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        for attributes, body in _inline_blocks(html, tag):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            nonce = re.search(r'nonce="([^"]+)"', attributes)
            allowed = (nonce and f"'nonce-{nonce.group(1)}'" in policy[directive]) or f"'sha256-{digest}'" in policy[directive]
            assert allowed, f"inline <{tag}> not allowed by the CSP: {body[:80]!r}"
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler attribute"
    assert not re.search(r"<[a-z][^>]*\sstyle=\"", html), "inline style attribute"


@pytest.mark.django_db
class ContentSecurityPolicyTests:
    def test_a_shop_page_has_the_policy(self, client):
        response = client.get(reverse("shop-login"))
        assert response.status_code == 200
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"][0] == "'self'" and "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy["style-src"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        _assert_inline_code_allowed(response)

    def test_the_shop_home_page_has_the_policy(self, client):
        response = client.get(reverse("shop-home"))
        assert response.status_code == 200
        assert "script-src" in _policy(response)
        _assert_inline_code_allowed(response)

    def test_admin_pages_have_the_policy(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        segment = SegmentFactory()
        for url in (
            reverse("admin:index"),
            reverse("admin:segments_segment_add"),
            reverse("admin:segments_segment_change", args=[segment.pk]),
            reverse("admin:personalization_contentblock_add"),
            reverse("admin:integrations_importrun_changelist"),
            reverse("admin:personalization_menuitem_changelist"),
            reverse("admin:catalog_category_changelist"),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert _policy(response)["script-src"][0] == "'self'", url
            _assert_inline_code_allowed(response)

    def test_the_admin_login_page_has_the_policy(self, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 200
        _assert_inline_code_allowed(response)

    def test_every_admin_change_list_obeys_the_policy(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        for model in admin.site._registry:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            response = client.get(url)
            assert response.status_code == 200, url
            _assert_inline_code_allowed(response)

    def test_the_api_docs_page_uses_no_cdn_and_no_inline_script(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr.net" not in html
        _assert_inline_code_allowed(response)
        sources = re.findall(r'<script src="([^"]+)"', html)
        assert len(sources) == 3
        for source in sources:
            assert source.startswith("/"), source
        start_script = client.get(sources[-1].replace("&amp;", "&"))
        assert start_script.status_code == 200
        assert start_script["Content-Type"].startswith("application/javascript")
