"""cvatfn: a functional, typed SDK for CVAT, the Computer Vision Annotation Tool server.

Sessions are values, entities are frozen structs, every call returns a ``returns`` ``Result``
and all I/O goes through a swappable transport.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.projects.create(session, {"name": "demo"}).map(lambda p: p.name).unwrap()
    'demo'
"""

from cvatfn import (
    comments,
    errors,
    filters,
    formats,
    http,
    issues,
    jobs,
    labels,
    masks,
    models,
    organizations,
    progress,
    projects,
    requests,
    results,
    retry,
    tasks,
    users,
)
from cvatfn._annotations import AnnotationIds, PatchAction
from cvatfn._client import Client, ClientContext, make_client
from cvatfn._connect import connect, login, logout, with_org
from cvatfn._session import (
    AccessTokenAuth,
    Config,
    NoAuth,
    PasswordAuth,
    Server,
    Session,
)
from cvatfn.errors import CvatError, CvatException, CvatWarning
from cvatfn.filters import F
from cvatfn.results import and_then, collect
from cvatfn.retry import RetryPolicy
from cvatfn.tasks import ResourceType

__version__ = "0.1.0"

__all__ = [
    "AccessTokenAuth",
    "AnnotationIds",
    "Client",
    "ClientContext",
    "Config",
    "CvatError",
    "CvatException",
    "CvatWarning",
    "F",
    "NoAuth",
    "PasswordAuth",
    "PatchAction",
    "ResourceType",
    "RetryPolicy",
    "Server",
    "Session",
    "__version__",
    "and_then",
    "collect",
    "comments",
    "connect",
    "errors",
    "filters",
    "formats",
    "http",
    "issues",
    "jobs",
    "labels",
    "login",
    "logout",
    "make_client",
    "masks",
    "models",
    "organizations",
    "progress",
    "projects",
    "requests",
    "results",
    "retry",
    "tasks",
    "users",
    "with_org",
]
