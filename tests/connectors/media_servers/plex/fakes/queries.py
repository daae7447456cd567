"""Plex's listing language for the fake: ``type``, filters (``field=``, ``field!=``,
``field==``, ``field>>=``, ``field<<=``, ``field>=``, ``field<=``; a comma means OR),
``sort=field[:desc],...`` and paging by ``X-Plex-Container-Start``/``-Size``.

Unknown filter or sort fields are refused with 400, as PMS refuses them, so a client
that asks for something Plex does not have is caught by the tests.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.connectors.media_servers.plex.fakes.library import Item

NOT_FILTERS = frozenset({
    "type", "sort", "includeGuids", "includeMeta", "includeAdvanced",
    "includeCollections", "includeExternalMedia", "checkFiles", "includeFields",
    "excludeFields", "includeElements", "excludeElements", "X-Plex-Container-Start",
    "X-Plex-Container-Size",
    "X-Plex-Token",
})  # fmt: skip
TEXT_FIELDS: dict[str, Callable[[Item], str]] = {
    "title": lambda i: i.title.casefold(),
    "titleSort": lambda i: i.title.casefold(),
}
NUMBER_FIELDS: dict[str, Callable[[Item], int]] = {
    "id": lambda i: i.key,
    "addedAt": lambda i: i.added_at,
    "updatedAt": lambda i: i.updated_at,
    "lastViewedAt": lambda i: i.last_viewed_at or 0,
    "viewCount": lambda i: i.view_count,
    "year": lambda i: i.year or 0,
    "index": lambda i: i.index or 0,
}
_OPERATORS = (">>", "<<", "!=", "!", "=", ">", "<")  # keys keep all but the last "="
_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "": lambda text, want: want in text,
    "!": lambda text, want: want not in text,
    "=": lambda text, want: text == want,
    "!=": lambda text, want: text != want,
    ">": lambda text, want: text.endswith(want),  # PMS: ">=" is "ends with" on text
    "<": lambda text, want: text.startswith(want),
}
_NUMBER_TESTS: dict[str, Callable[[int, int], bool]] = {
    "": operator.eq, "=": operator.eq, "!": operator.ne, "!=": operator.ne,
    ">>": operator.gt, "<<": operator.lt, ">": operator.ge, "<": operator.le,
}  # fmt: skip


class BadQuery(ValueError):
    """A filter or sort PMS would refuse (400)."""


def _split(key: str) -> tuple[str, str]:
    for op in _OPERATORS:
        if key.endswith(op):
            return key[: -len(op)], op
    return key, ""


def _test(field: str, op: str, value: str) -> Callable[[Item], bool]:
    """One filter parameter as a predicate (a comma in ``value`` means OR)."""
    alternatives = value.split(",")
    if field in TEXT_FIELDS and op in _TEXT_TESTS:
        text, check = TEXT_FIELDS[field], _TEXT_TESTS[op]
        wants = [a.casefold() for a in alternatives]
        return lambda item: any(check(text(item), w) for w in wants)
    if field in NUMBER_FIELDS and op in _NUMBER_TESTS:
        try:
            numbers = [int(a) for a in alternatives]
        except ValueError:
            raise BadQuery(f"{field} takes numbers") from None
        get, compare = NUMBER_FIELDS[field], _NUMBER_TESTS[op]
        return lambda item: any(compare(get(item), n) for n in numbers)
    raise BadQuery(f"unknown filter {field}{op}=")


def build_filter(params: list[tuple[str, str]]) -> Callable[[Item], bool]:
    """A predicate for every filter parameter (all must hold).

    Raises:
        BadQuery: a field or operator that Plex does not filter with.
    """
    tests = [
        _test(*_split(key), value)
        for key, value in params
        if key not in NOT_FILTERS and not key.startswith("X-Plex-")
    ]
    return lambda item: all(t(item) for t in tests)


def sort_items(items: list[Item], sort: str | None) -> list[Item]:
    """Items sorted as ``sort`` says (ties by ratingKey; missing values sort low).

    Raises:
        BadQuery: a field that Plex does not sort on.
    """
    result = sorted(items, key=lambda i: i.key)
    for spec in reversed([s for s in (sort or "").split(",") if s]):
        field, _, direction = spec.partition(":")
        getter: Callable[[Item], object] | None = NUMBER_FIELDS.get(field)
        getter = getter or TEXT_FIELDS.get(field)
        if getter is None or direction not in ("", "asc", "desc"):
            raise BadQuery(f"unknown sort {spec!r}")
        result.sort(key=getter, reverse=direction == "desc")  # type: ignore[arg-type]
    return result


def page(items: list[Item], start: int, size: int | None) -> list[Item]:
    """The page PMS answers for ``X-Plex-Container-Start``/``-Size``."""
    if start < 0 or (size is not None and size < 0):
        raise BadQuery("negative paging")
    return items[start:] if size is None else items[start : start + size]
