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
    "RECORD_MODES",
    "CassetteMiss",
    "Matcher",
    "MissCandidate",
    "RecordMode",
    "RecordingTransport",
    "ReplayTransport",
    "body",
    "json_body",
    "method",
    "path",
    "query",
    "FORMAT_VERSION",
    "Body",
    "Cassette",
    "CassetteError",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "decode",
    "dump",
    "encode",
    "from_log",
    "load",
    "localise_host",
    "normalise_host",
    "redact",
]
