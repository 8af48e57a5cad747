"""DRF-style error bodies.

Theory of operation
-------------------
Handlers never build error responses by hand: they raise :class:`ApiError` (usually built
by one of the helpers below: ``raise not_found("Task")``) and :meth:`FakeServer.handle`
turns it into an HTTP response.
The bodies are the ones Django REST framework produces for CVAT:

* validation errors are ``{"field": ["message"]}`` or, when raised outside a field,
  ``["message"]`` or ``{"non_field_errors": ["message"]}``;
* authentication, permission and lookup errors are ``{"detail": "message"}``.
"""

from __future__ import annotations

from typing import Any

from cvatfn.http import Headers

PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_AUTHENTICATED = "Authentication credentials were not provided."


class ApiError(Exception):
    """An error response: status, JSON body (``None`` for no body) and extra headers.

    Examples:
        >>> ApiError(404, {"detail": "Not found."}).status
        404
    """

    def __init__(self, status: int, body: Any, headers: Headers = (), *, raw: bool = False) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers
        self.raw = raw
        """When true, ``body`` is a plain string sent as ``text/plain`` (Django-style)."""


def detail(status: int, message: str, headers: Headers = ()) -> ApiError:
    """``{"detail": message}`` with ``status`` (to be raised)."""
    return ApiError(status, {"detail": message}, headers)


def not_found(model: str) -> ApiError:
    """DRF's 404 for a missing object of Django model ``model`` (e.g. ``"Task"``)."""
    return detail(404, f"No {model} matches the given query.")


def permission_denied() -> ApiError:
    """DRF's default 403."""
    return detail(403, PERMISSION_DENIED)


def invalid(errors: dict[str, list[str]] | list[str] | str) -> ApiError:
    """A 400 validation error; a bare string becomes ``["message"]``."""
    return ApiError(400, [errors] if isinstance(errors, str) else errors)


def field_error(field: str, message: str) -> ApiError:
    """``{field: [message]}`` with status 400."""
    return ApiError(400, {field: [message]})


def non_field_error(message: str) -> ApiError:
    """``{"non_field_errors": [message]}`` with status 400."""
    return ApiError(400, {"non_field_errors": [message]})
