"""The API's one pagination class: cursor pagination whose cursor is checked before it reaches a query."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import Field, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

INVALID_CURSOR = "Invalid cursor."


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination; a view chooses its order with `cursor_ordering` (default: newest id first).

    A cursor is base64 of `o=<offset>&r=<reverse>&p=<position>`, and clients can forge one. DRF filters the
    list by the position as given (`<first ordering field>__gt=<position>`) and answers a cursor it cannot
    decode with a 404, so a forged position reached the database: a NUL character (PostgreSQL refuses it in
    text) or text where the ordering field is a number or a timestamp answered 500.

    Here every cursor that cannot be used is one answer, whatever is wrong with it (not base64, a bad offset
    or reverse flag, a NUL anywhere, a position the ordering field cannot hold or compare: not of its type,
    an integer outside its column's range): a 400 `ValidationError` on the `cursor` parameter,
    `{"cursor": ["Invalid cursor."]}` in the API's error body. The position is checked against the field
    the list is ordered by, for any field type: the model field or annotation (a search rank, say) is
    resolved on the queryset, and its `to_python` and `get_prep_value` must accept the position, as the
    filter will ask them to.
    """

    ordering = ("-id",)
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = INVALID_CURSOR

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def paginate_queryset(self, queryset, request: Request, view=None):
        # `decode_cursor` gets only the request; the position is checked against this queryset's field.
        self._queryset = queryset
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None and "\x00" in encoded:
            raise self._invalid()
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """Refuse a position the filter on the ordering field could not use (the query would fail)."""
        if "\x00" in position:
            raise self._invalid()
        field = self._ordering_field()
        if field is None:
            return
        try:
            value = field.get_prep_value(field.to_python(position))
        except (DjangoValidationError, TypeError, ValueError, ArithmeticError):
            raise self._invalid() from None
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = connections[self._queryset.db].ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                raise self._invalid()

    def _ordering_field(self) -> Field | None:
        """The model field or annotation output field of the first ordering term, or None for a list that
        is not a queryset (nothing to check it against; DRF's filter then fails on its own)."""
        queryset: Any = getattr(self, "_queryset", None)
        if not isinstance(queryset, QuerySet):
            return None
        name = self.ordering[0].lstrip("-")
        try:
            return queryset.query.chain().resolve_ref(name).output_field
        except FieldError:
            return None

    def _invalid(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid_cursor"
        )
