"""cvatfn_fake: a faithful in-memory CVAT 2.80 server.

The server speaks CVAT's REST API through :class:`cvatfn.http.HttpRequest` /
:class:`cvatfn.http.HttpResponse` values (``FakeServer.handle`` or ``FakeServer.transport()``)
or over real HTTP (``serve``, ``python -m cvatfn_fake``).

Examples:
    >>> from cvatfn.http import HttpRequest
    >>> server = FakeServer()
    >>> server.transport().handle(HttpRequest("GET", "http://cvat/api/server/about")).status
    200
"""

from . import _faults
from ._faults import (
    NO_RESPONSE,
    Dropped,
    DroppedConnection,
    FaultEvent,
    FaultInjector,
    FaultPlan,
)
from ._http_front import ServerHandle, serve
from ._server import FakeServer, FakeTransport, RequestBehaviour

# ``_faults`` names FakeServer in annotations only (importing it there would be circular);
# binding the name lets typing.get_type_hints resolve FaultInjector's signature at run time.
setattr(_faults, "FakeServer", FakeServer)  # noqa: B010

__all__ = [
    "NO_RESPONSE",
    "Dropped",
    "DroppedConnection",
    "FakeServer",
    "FakeTransport",
    "FaultEvent",
    "FaultInjector",
    "FaultPlan",
    "RequestBehaviour",
    "ServerHandle",
    "serve",
]
