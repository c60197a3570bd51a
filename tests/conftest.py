"""Fixtures: unit folders written from Python data (see helpers.py) or generated."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest
from helpers import write_unit_folder

from rotation.synthetic import write_unit

MakeUnit = Callable[..., Path]


@pytest.fixture
def make_unit(tmp_path: Path) -> MakeUnit:
    """``make_unit(toml, staff, absences=None, name="unit", staff_format="csv") -> folder``."""
    counter = iter(range(1_000_000))

    def make(
        toml: str,
        staff: Iterable[dict[str, str] | Sequence[str]],
        absences: Iterable[dict[str, str] | Sequence[str]] | None = None,
        name: str | None = None,
        staff_format: str = "csv",
    ) -> Path:
        folder = tmp_path / (name or f"unit{next(counter)}")
        return write_unit_folder(folder, toml, staff, absences, staff_format)

    return make


@pytest.fixture
def synthetic_unit(tmp_path: Path) -> Callable[..., Path]:
    """``synthetic_unit(teams=3, years=1, staff=24, seed=0, ...)``: a generated unit folder."""
    counter = iter(range(1_000_000))

    def make(**kwargs: object) -> Path:
        return write_unit(tmp_path / f"synthetic{next(counter)}", **kwargs)  # type: ignore[arg-type]

    return make
