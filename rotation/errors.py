"""Errors a user can act on: which file, which row, which field, what was expected."""

from __future__ import annotations


class InputError(ValueError):
    """A mistake in a unit folder. The CLI prints it as one line and exits with code 2."""

    def __init__(self, file: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{'line' if self.file.endswith('.toml') else 'row'} {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"
