"""Input validation with DRF's field error messages.

Theory of operation
-------------------
Write endpoints read their JSON body through :class:`Fields`, which records one error list
per field with the exact messages DRF serializers produce ("This field is required.",
"A valid integer is required.", ...). :meth:`Fields.done` raises the collected errors as a
single 400 ``{"field": ["message"]}`` body, so several bad fields are reported together, as
DRF does.
"""

from __future__ import annotations

from typing import Any, cast

from ._errors import ApiError

_MISSING = object()


class Fields:
    """Collects field errors while reading ``data``.

    Examples:
        >>> f = Fields({"name": ""}, partial=False)
        >>> _ = f.string("name", max_length=10)
        >>> f.errors
        {'name': ['This field may not be blank.']}
    """

    def __init__(self, data: dict[str, Any], *, partial: bool) -> None:
        self.data = data
        self.partial = partial
        self.errors: dict[str, Any] = {}

    def has(self, name: str) -> bool:
        return name in self.data

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _raw(self, name: str, *, required: bool, nullable: bool) -> Any:
        if name not in self.data:
            if required and not self.partial:
                self.error(name, "This field is required.")
            return _MISSING
        value = self.data[name]
        if value is None and not nullable:
            self.error(name, "This field may not be null.")
            return _MISSING
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        nullable: bool = False,
        blank: bool = False,
        max_length: int | None = None,
    ) -> Any:
        """A string value, ``None`` (if nullable and null) or the ``_MISSING`` sentinel."""
        value = self._raw(name, required=required, nullable=nullable)
        if value is _MISSING or value is None:
            return value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(name, "Not a valid string.")
            return _MISSING
        text = str(value).strip()
        if not text and not blank:
            self.error(name, "This field may not be blank.")
            return _MISSING
        if max_length is not None and len(text) > max_length:
            self.error(name, f"Ensure this field has no more than {max_length} characters.")
            return _MISSING
        return text

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        nullable: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Any:
        value = self._raw(name, required=required, nullable=nullable)
        if value is _MISSING or value is None:
            return value
        if isinstance(value, bool):
            self.error(name, "A valid integer is required.")
            return _MISSING
        try:
            number = int(value)
            if isinstance(value, float) and float(number) != value:
                raise ValueError
        except (TypeError, ValueError):
            self.error(name, "A valid integer is required.")
            return _MISSING
        if minimum is not None and number < minimum:
            self.error(name, f"Ensure this value is greater than or equal to {minimum}.")
            return _MISSING
        if maximum is not None and number > maximum:
            self.error(name, f"Ensure this value is less than or equal to {maximum}.")
            return _MISSING
        return number

    def boolean(self, name: str, *, required: bool = False) -> Any:
        value = self._raw(name, required=required, nullable=False)
        if value is _MISSING:
            return value
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "1", "yes", "on", "t", "y"):
            return True
        if text in ("false", "0", "no", "off", "f", "n"):
            return False
        self.error(name, "Must be a valid boolean.")
        return _MISSING

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = False) -> Any:
        value = self._raw(name, required=required, nullable=False)
        if value is _MISSING:
            return value
        if not isinstance(value, str) or value not in choices:
            self.error(name, f'"{value}" is not a valid choice.')
            return _MISSING
        return value

    def array(self, name: str, *, required: bool = False) -> Any:
        value = self._raw(name, required=required, nullable=False)
        if value is _MISSING:
            return value
        items = as_list(value)
        if items is None:
            self.error(name, f'Expected a list of items but got type "{type(value).__name__}".')
            return _MISSING
        return items

    def done(self) -> None:
        """Raise the collected errors, if any."""
        if self.errors:
            raise ApiError(400, self.errors)


def as_dict(value: object) -> dict[str, Any] | None:
    """``value`` as a JSON object, or None."""
    if isinstance(value, dict):
        mapping: dict[str, Any] = cast(dict[str, Any], value)
        return mapping
    return None


def as_list(value: object) -> list[Any] | None:
    """``value`` as a JSON array, or None."""
    if isinstance(value, list):
        return cast(list[Any], cast(object, value))
    return None


def present(value: Any) -> bool:
    """Whether a value read through :class:`Fields` was supplied and valid."""
    return value is not _MISSING


def merge_nested(fields: Fields, exc: ApiError) -> None:
    """Fold a nested serializer's dict errors into ``fields``; re-raise anything else."""
    body = as_dict(exc.body)
    if body is None:
        raise exc
    fields.errors.update(body)
