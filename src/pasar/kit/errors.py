"""Error hierarchy shared by every layer. Surfaces map ``code``/``status_code`` to responses.

Example:
    >>> err = InputError("amount is not a number", file="orders.csv", row=12, column="gmv")
    >>> str(err)
    'orders.csv row 12 column gmv: amount is not a number'
"""

from __future__ import annotations


class PasarError(Exception):
    """A failure a user can act on; its message is shown as one line without a traceback."""

    code = "error"
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, str | None]:
        """The API error body: ``{"code", "message", "field"}``."""
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFoundError(PasarError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "not_found"
    status_code = 404


class ConflictError(PasarError):
    """A concurrent change won: the caller's copy is stale, reload and retry."""

    code = "conflict"
    status_code = 409


class PermissionDeniedError(PasarError):
    """The caller is known but may not do this."""

    code = "forbidden"
    status_code = 403


class ValidationError(PasarError):
    """A value breaks a business rule."""

    code = "invalid"
    status_code = 422


class InputError(PasarError):
    """Bad input data; names the file, row and column when they are known."""

    code = "bad_input"
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        where = " ".join(
            part
            for part in (
                file or "",
                f"row {row}" if row is not None else "",
                f"column {column}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message, field=column)
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
