"""One error body for the whole API: {"error": {"status", "code", "detail", "fields"?}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body: dict[str, Any] = {"status": response.status_code, "code": getattr(exc, "default_code", "error")}
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            body["code"] = codes
    if response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(data, dict | list):
        body["detail"] = "Invalid input."
        body["fields"] = data if isinstance(data, dict) else {"non_field_errors": data}
    elif isinstance(data, dict) and "detail" in data:
        body["detail"] = str(data["detail"])
    else:
        body["detail"] = data
    response.data = {"error": body}
    return response
