import io
from collections.abc import Callable

import pytest

from integrations.erp.services import erp_import
from integrations.models import ImportRun

Importer = Callable[..., ImportRun]


@pytest.fixture
def run_import(db) -> Importer:
    """Import text (or bytes) as a file: `run_import("companies", "erp_id,name\\n1,A\\n")`."""

    def run(entity: str, content: str | bytes, **kwargs) -> ImportRun:
        data = content.encode("utf-8") if isinstance(content, str) else content
        kwargs.setdefault("source", ImportRun.Source.FILE)
        kwargs.setdefault("source_name", f"{entity}.csv")
        return erp_import(entity=entity, stream=io.BytesIO(data), **kwargs)

    return run
