"""cvatfn's real-network transport, over urllib3 2.x.

:class:`Urllib3Transport` implements :class:`cvatfn.http.Transport`: it sends each
:class:`~cvatfn.http.HttpRequest` as is (no redirects followed, no retries), returns every
status as an :class:`~cvatfn.http.HttpResponse`, and maps every failure to a
:class:`~cvatfn.http.TransportError` whose ``kind`` is one of ``connect``, ``timeout``,
``tls_handshake``, ``tls_certificate`` or ``protocol``. See :mod:`cvatfn_urllib3._transport`
for the theory of operation.

Examples:
    >>> from cvatfn.http import HttpRequest
    >>> from cvatfn_urllib3 import Urllib3Transport
    >>> with Urllib3Transport(read_timeout=30.0) as transport:  # doctest: +SKIP
    ...     transport.handle(HttpRequest("GET", "http://localhost:8080/api/server/about")).status
    200
"""

from cvatfn_urllib3._transport import DEFAULT_USER_AGENT, Urllib3Transport

__all__ = ["DEFAULT_USER_AGENT", "Urllib3Transport"]
