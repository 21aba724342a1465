"""List filters as declarations: a query parameter, the marshmallow field that parses it, and the
vendor-neutral filter it becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from marshmallow import fields

from sandbox.world.store import Filter


@dataclass(frozen=True)
class By:
    field: fields.Field  # parses the query parameter
    column: str | None  # the neutral field it compares; None: one the worlds' records do not hold
    convert: Callable | None = None  # the parsed value -> the stored value, or a tuple of them
    op: str = "in"  # or a comparison ("gt", ...) of an instant, or "contains"
    holds: tuple = ()  # with no column: the value every record shows (naming it filters nothing out)


def where(args: Mapping, filters: dict[str, By]) -> list[Filter]:
    """The filters the parsed arguments ask for."""
    out = []
    for name, by in filters.items():
        if name not in args:
            continue
        value = by.convert(args[name]) if by.convert else args[name]
        values = value if isinstance(value, (tuple, frozenset, list)) else (value,)
        if by.column is None:
            if not set(values) & set(by.holds):
                out.append(Filter("id", "in", ()))
        elif by.op == "in":
            out.append(Filter(by.column, "in", tuple(values)))
        else:
            out.append(Filter(by.column, by.op, value))
    return out


def parameters(filters: dict[str, By]) -> dict[str, fields.Field]:
    return {name: by.field for name, by in filters.items()}
