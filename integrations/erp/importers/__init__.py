"""One importer per ERP entity; `IMPORTERS` maps the entity name to it."""

from integrations.erp.importers.base import Importer
from integrations.erp.importers.categories import CategoryImporter
from integrations.erp.importers.companies import CompanyImporter
from integrations.erp.importers.contacts import ContactImporter
from integrations.erp.importers.orders import OrderImporter
from integrations.erp.importers.prices import PriceImporter
from integrations.erp.importers.products import ProductImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.schema.entity: importer
    for importer in (CategoryImporter, CompanyImporter, ContactImporter, ProductImporter, PriceImporter, OrderImporter)
}

__all__ = ["IMPORTERS", "Importer"]
