"""Pages of a long list without counting it: `ListWindow` reads one row more than a page.

Django's Paginator runs `COUNT(*)` over the whole filtered set on every page view, which costs as much as
the list itself grows (40 ms at 100,000 board requests, bench/board.py). Lists whose total is known
cheaply (the catalog's exact facet counts) pass it in; the others show "Next" while there is more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_PAGE = 10_000  # deeper pages are refused as page 1: OFFSET reads every row before the page


def page_number(raw: Any) -> int:
    """The page asked for: a positive integer up to MAX_PAGE, anything else is page 1."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= MAX_PAGE else 1


@dataclass
class ListWindow:
    """One page: `object_list`, whether there is a next one, and `count` when the caller knew it."""

    object_list: list[Any]
    number: int
    per_page: int
    has_next: bool
    count: int | None = None
    num_pages: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.num_pages = None if self.count is None else max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def list_window(qs: Any, raw_page: Any, per_page: int, *, count: int | None = None) -> ListWindow:
    """Page `raw_page` of `qs` (ordered) with `per_page` rows, in one query of per_page + 1 rows.

    With `count` known, a page past the end shows the last page (as Paginator.get_page does); without
    it, a page past the end is empty and offers the way back. A list that fits on page 1 knows its count."""
    number = page_number(raw_page)
    if count is not None:
        number = min(number, max(1, -(-count // per_page)))
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    has_next = len(rows) > per_page
    if count is None and number == 1 and not has_next:
        count = len(rows)  # the whole list fits on the first page: its length is the total
    return ListWindow(rows[:per_page], number=number, per_page=per_page, has_next=has_next, count=count)
