"""The Mailchimp benchmark runs end to end at a tiny size (no time assertions)."""

import json

import pytest

from bench import mailchimp_sync as bench


@pytest.mark.django_db
class MailchimpSyncBenchTests:
    def test_a_tiny_run_prints_and_writes_its_figures(self, tmp_path, capsys):
        result = bench.main(["--members", "60", "--segments", "3", "--latency", "0", "--results-dir", str(tmp_path)])

        assert result["initial_sync"]["status"] == "succeeded"
        assert result["initial_sync"]["upserted"] == 60
        assert result["tag_memberships"] == 120
        assert result["second_run"]["calls"]["write"] == 0
        assert result["full_reconcile"]["calls"]["write"] == 0
        assert result["peak_concurrent_connections"] <= 10
        assert json.loads((tmp_path / "mailchimp_sync.json").read_text()) == result
        assert json.loads(capsys.readouterr().out) == result
