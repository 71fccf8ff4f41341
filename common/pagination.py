"""Paginators for lists too long to count on every page view.

- `CountedPaginator`: told its count by a query that computed it already (tab counts).
- `UncountedPaginator`: no count at all; reads one row more than a page to know whether
  another follows (the audit trail: newer/older, no "page n of m").
"""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


class UncountedPage:
    def __init__(self, rows: list, number: int, has_next: bool, paginator: "UncountedPaginator"):
        self.object_list, self.number, self.paginator = rows, number, paginator
        self._has_next = has_next

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class UncountedPaginator:
    num_pages = None  # unknown: templates show "Page n" without "of m"

    def __init__(self, object_list, per_page: int):
        self.object_list, self.per_page = object_list, per_page

    def get_page(self, number) -> UncountedPage:
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        start = (number - 1) * self.per_page
        rows = list(self.object_list[start : start + self.per_page + 1])
        if not rows and number > 1:
            return self.get_page(1)  # past the end: back to the newest
        return UncountedPage(rows[: self.per_page], number, len(rows) > self.per_page, self)
