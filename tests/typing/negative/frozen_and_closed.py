"""Entities are frozen, the error union is closed, a transport needs ``handle``."""

from __future__ import annotations

from typing import assert_never

from cvatfn.errors import (
    BackgroundFailed,
    BadRequest,
    Conflict,
    CvatError,
    DeadlineExceeded,
    Forbidden,
    InsecureConnection,
    InvalidInput,
    LocalFileError,
    NotFound,
    ServerError,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
    UnsupportedServer,
)
from cvatfn.http import HttpRequest, Transport
from cvatfn.models import Task


def rename(task: Task) -> None:
    task.name = "changed"  # expect-error


def missing_a_case(error: CvatError) -> str:
    match error:
        case InvalidInput() | LocalFileError() | TransportFailure() | BadRequest():
            return "input"
        case Unauthorized() | Forbidden() | NotFound() | Conflict() | ServerError():
            return "http"
        case UnexpectedResponse() | UnsupportedServer() | InsecureConnection():
            return "server"
        case BackgroundFailed() | DeadlineExceeded():
            return "background"
        case _:
            assert_never(error)  # expect-error


class NoHandle:
    def send(self, request: HttpRequest) -> bytes:
        return request.body


def not_a_transport() -> Transport:
    return NoHandle()  # expect-error
