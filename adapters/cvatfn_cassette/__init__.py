"""Recorded cassettes: record exchanges with any CVAT server, replay them offline."""

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

__all__ = [
    "CASSETTE_BASE",
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
    "load",
    "localise_host",
    "normalise_host",
    "redact",
]
