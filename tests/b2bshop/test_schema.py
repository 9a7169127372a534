import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
class OpenApiSchemaTests:
    def test_schema_validates_without_warnings(self, tmp_path):
        target = tmp_path / "schema.yml"
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
        schema = yaml.safe_load(target.read_text())
        for path in ("/api/segments/", "/api/segments/preview/", "/api/segment-fields/", "/api/erp/import/{entity}/",
                     "/api/mailchimp/sync/"):
            assert path in schema["paths"], path

    def test_docs_page_renders(self, client):
        assert client.get("/api/docs/").status_code == 200
