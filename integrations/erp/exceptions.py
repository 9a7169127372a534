"""Errors of the ERP import; the API handler answers them with 400."""

from typing import TYPE_CHECKING

from b2bshop.exceptions import ApplicationError

if TYPE_CHECKING:
    from integrations.models import ImportRun


class ErpFileError(ApplicationError):
    """The file as a whole cannot be imported (empty, unreadable, wrong columns)."""


class ErpImportFileError(ApplicationError):
    """Raised by `erp_import` after recording a run that failed on a file-level problem."""

    def __init__(self, message: str, *, import_run: "ImportRun") -> None:
        super().__init__(message)
        self.import_run = import_run


class ErpUnknownEntityError(ApplicationError):
    """The entity is not one of the importable ones."""


class ErpBodyTooLargeError(ApplicationError):
    """An API body larger than settings.ERP_IMPORT_MAX_BODY_BYTES."""
