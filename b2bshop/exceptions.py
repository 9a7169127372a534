"""Application errors raised by services; one API handler turns them into JSON."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One field-specific problem: `path` is a JSON pointer into the input."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class ApplicationError(Exception):
    """A failure a caller can understand and act on (answered with 400)."""

    status_code = 400

    def __init__(self, message: str, *, errors: Iterable[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)
