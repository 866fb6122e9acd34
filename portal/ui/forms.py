"""Form helpers shared by every plugin's pages (exported by `portal.plugins.api`)."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError


class ServiceErrorsMixin:
    """Show a service's ValidationError on the form: per-field messages next to their field, the rest at
    the top. `service_fields` maps a service's field name to the form's where they differ."""

    service_fields: ClassVar[dict[str, str]] = {}

    def apply_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)  # type: ignore[attr-defined]
            return
        for field, messages in error.message_dict.items():
            target = self.service_fields.get(field, field)
            self.add_error(target if target in self.fields else None, messages)  # type: ignore[attr-defined]
