"""Recorded cassettes: record exchanges with any CVAT server, replay them offline."""

from cvatfn_cassette._bridge import from_log
from cvatfn_cassette._filters import CASSETTE_BASE, localise_host, normalise_host, redact
from cvatfn_cassette._format import (
    FORMAT_VERSION,
    Body,
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    decode,
    dump,
    encode,
    load,
)
from cvatfn_cassette._matchers import (
    DEFAULT_MATCHERS,
    Matcher,
    body,
    json_body,
    method,
    path,
    query,
)
from cvatfn_cassette._transport import (
    RECORD_MODES,
    CassetteMiss,
    MissCandidate,
    RecordingTransport,
    RecordMode,
    ReplayTransport,
)

__all__ = [
    "CASSETTE_BASE",
    "DEFAULT_MATCHERS",
    "FORMAT_VERSION",
    "RECORD_MODES",
    "Body",
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "Interaction",
    "Matcher",
    "MissCandidate",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingTransport",
    "ReplayTransport",
    "body",
    "decode",
    "dump",
    "encode",
    "from_log",
    "json_body",
    "load",
    "localise_host",
    "method",
    "normalise_host",
    "path",
    "query",
    "redact",
]
