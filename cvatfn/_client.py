"""``Client``: the repository functions bound to one session, for code that reads like the
official SDK's.

``client.tasks.retrieve(42)`` is ``cvatfn.tasks.retrieve(client.session, 42)``: the same
function, with the session filled in and its signature and types kept. The client holds
nothing but the session, so it is as immutable as the session; ``client.with_org("lab")``
is a new client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import (
    comments,
    formats,
    issues,
    jobs,
    labels,
    organizations,
    projects,
    requests,
    tasks,
    users,
)
from cvatfn._connect import Credentials, connect, logout, with_org
from cvatfn._session import Config, Session
from cvatfn.errors import CvatError, CvatException
from cvatfn.http import Transport

__all__ = [
    "Client",
    "ClientContext",
    "CommentsApi",
    "FormatsApi",
    "IssuesApi",
    "JobsApi",
    "LabelsApi",
    "OrganizationsApi",
    "ProjectsApi",
    "RequestsApi",
    "TasksApi",
    "UsersApi",
    "bind",
    "make_client",
]

P = ParamSpec("P")
R = TypeVar("R")


def bind(function: Callable[Concatenate[Session, P], R], session: Session) -> Callable[P, R]:
    """``function`` with its first argument, the session, filled in; its types are kept.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> s = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                    transport=FakeServer().transport()).unwrap()
        >>> me = bind(cvatfn.users.retrieve_current_user, s)
        >>> me().unwrap().username
        'admin'
    """
    bound = functools.partial(function, session)
    functools.update_wrapper(bound, function)
    return bound


class TasksApi:
    """:mod:`cvatfn.tasks` bound to a session: ``client.tasks.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(tasks.create, session)
        self.create_from_data = bind(tasks.create_from_data, session)
        self.upload_data = bind(tasks.upload_data, session)
        self.retrieve = bind(tasks.retrieve, session)
        self.list = bind(tasks.list, session)
        self.iterate = bind(tasks.iterate, session)
        self.update = bind(tasks.update, session)
        self.remove = bind(tasks.remove, session)
        self.fetch = bind(tasks.fetch, session)
        self.get_jobs = bind(tasks.get_jobs, session)
        self.get_labels = bind(tasks.get_labels, session)
        self.get_meta = bind(tasks.get_meta, session)
        self.get_frame = bind(tasks.get_frame, session)
        self.get_preview = bind(tasks.get_preview, session)
        self.download_chunk = bind(tasks.download_chunk, session)
        self.download_frames = bind(tasks.download_frames, session)
        self.get_frames_info = bind(tasks.get_frames_info, session)
        self.remove_frames_by_ids = bind(tasks.remove_frames_by_ids, session)
        self.restore_frames = bind(tasks.restore_frames, session)
        self.get_annotations = bind(tasks.get_annotations, session)
        self.set_annotations = bind(tasks.set_annotations, session)
        self.update_annotations = bind(tasks.update_annotations, session)
        self.remove_annotations = bind(tasks.remove_annotations, session)
        self.export_dataset = bind(tasks.export_dataset, session)
        self.import_annotations = bind(tasks.import_annotations, session)
        self.download_backup = bind(tasks.download_backup, session)
        self.create_from_backup = bind(tasks.create_from_backup, session)


class ProjectsApi:
    """:mod:`cvatfn.projects` bound to a session: ``client.projects.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(projects.create, session)
        self.retrieve = bind(projects.retrieve, session)
        self.list = bind(projects.list, session)
        self.iterate = bind(projects.iterate, session)
        self.update = bind(projects.update, session)
        self.remove = bind(projects.remove, session)
        self.fetch = bind(projects.fetch, session)
        self.get_tasks = bind(projects.get_tasks, session)
        self.get_labels = bind(projects.get_labels, session)
        self.get_preview = bind(projects.get_preview, session)
        self.export_dataset = bind(projects.export_dataset, session)
        self.import_dataset = bind(projects.import_dataset, session)
        self.create_from_dataset = bind(projects.create_from_dataset, session)
        self.download_backup = bind(projects.download_backup, session)
        self.create_from_backup = bind(projects.create_from_backup, session)


class JobsApi:
    """:mod:`cvatfn.jobs` bound to a session: ``client.jobs.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(jobs.create, session)
        self.retrieve = bind(jobs.retrieve, session)
        self.list = bind(jobs.list, session)
        self.iterate = bind(jobs.iterate, session)
        self.update = bind(jobs.update, session)
        self.remove = bind(jobs.remove, session)
        self.fetch = bind(jobs.fetch, session)
        self.get_labels = bind(jobs.get_labels, session)
        self.get_issues = bind(jobs.get_issues, session)
        self.get_meta = bind(jobs.get_meta, session)
        self.get_frames_info = bind(jobs.get_frames_info, session)
        self.get_frame = bind(jobs.get_frame, session)
        self.get_preview = bind(jobs.get_preview, session)
        self.download_chunk = bind(jobs.download_chunk, session)
        self.download_frames = bind(jobs.download_frames, session)
        self.remove_frames_by_ids = bind(jobs.remove_frames_by_ids, session)
        self.restore_frames = bind(jobs.restore_frames, session)
        self.get_annotations = bind(jobs.get_annotations, session)
        self.set_annotations = bind(jobs.set_annotations, session)
        self.update_annotations = bind(jobs.update_annotations, session)
        self.remove_annotations = bind(jobs.remove_annotations, session)
        self.export_dataset = bind(jobs.export_dataset, session)
        self.import_annotations = bind(jobs.import_annotations, session)


class UsersApi:
    """:mod:`cvatfn.users` bound to a session: ``client.users.retrieve_current_user(...)``."""

    def __init__(self, session: Session) -> None:
        self.retrieve_current_user = bind(users.retrieve_current_user, session)
        self.retrieve = bind(users.retrieve, session)
        self.list = bind(users.list, session)
        self.iterate = bind(users.iterate, session)
        self.update = bind(users.update, session)
        self.remove = bind(users.remove, session)
        self.fetch = bind(users.fetch, session)


class OrganizationsApi:
    """:mod:`cvatfn.organizations` bound to a session: ``client.organizations.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(organizations.create, session)
        self.retrieve = bind(organizations.retrieve, session)
        self.list = bind(organizations.list, session)
        self.iterate = bind(organizations.iterate, session)
        self.update = bind(organizations.update, session)
        self.remove = bind(organizations.remove, session)
        self.fetch = bind(organizations.fetch, session)
        self.get_memberships = bind(organizations.get_memberships, session)
        self.update_membership = bind(organizations.update_membership, session)
        self.remove_membership = bind(organizations.remove_membership, session)
        self.invite = bind(organizations.invite, session)


class LabelsApi:
    """:mod:`cvatfn.labels` bound to a session: ``client.labels.retrieve(...)``."""

    def __init__(self, session: Session) -> None:
        self.retrieve = bind(labels.retrieve, session)
        self.list = bind(labels.list, session)
        self.iterate = bind(labels.iterate, session)
        self.update = bind(labels.update, session)
        self.remove = bind(labels.remove, session)
        self.fetch = bind(labels.fetch, session)


class IssuesApi:
    """:mod:`cvatfn.issues` bound to a session: ``client.issues.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(issues.create, session)
        self.retrieve = bind(issues.retrieve, session)
        self.list = bind(issues.list, session)
        self.iterate = bind(issues.iterate, session)
        self.update = bind(issues.update, session)
        self.remove = bind(issues.remove, session)
        self.fetch = bind(issues.fetch, session)
        self.get_comments = bind(issues.get_comments, session)


class CommentsApi:
    """:mod:`cvatfn.comments` bound to a session: ``client.comments.create(...)``."""

    def __init__(self, session: Session) -> None:
        self.create = bind(comments.create, session)
        self.retrieve = bind(comments.retrieve, session)
        self.list = bind(comments.list, session)
        self.iterate = bind(comments.iterate, session)
        self.update = bind(comments.update, session)
        self.remove = bind(comments.remove, session)
        self.fetch = bind(comments.fetch, session)


class RequestsApi:
    """:mod:`cvatfn.requests` bound to a session: ``client.requests.retrieve(...)``."""

    def __init__(self, session: Session) -> None:
        self.retrieve = bind(requests.retrieve, session)
        self.list = bind(requests.list, session)
        self.iterate = bind(requests.iterate, session)
        self.cancel = bind(requests.cancel, session)
        self.wait = bind(requests.wait, session)


class FormatsApi:
    """:mod:`cvatfn.formats` bound to a session: ``client.formats.retrieve()``."""

    def __init__(self, session: Session) -> None:
        self.retrieve = bind(formats.retrieve, session)


class Client(msgspec.Struct, frozen=True):
    """A session with the repository modules bound to it.

    Examples:
        >>> from cvatfn_fake import FakeServer
        >>> with make_client("localhost", credentials=("admin", "admin"),
        ...                  transport=FakeServer().transport()) as client:
        ...     project = client.projects.create({"name": "p"}).unwrap()
        ...     client.projects.retrieve(project.id).unwrap().name
        'p'
    """

    session: Session

    @property
    def tasks(self) -> TasksApi:
        """:mod:`cvatfn.tasks`, bound."""
        return TasksApi(self.session)

    @property
    def projects(self) -> ProjectsApi:
        """:mod:`cvatfn.projects`, bound."""
        return ProjectsApi(self.session)

    @property
    def jobs(self) -> JobsApi:
        """:mod:`cvatfn.jobs`, bound."""
        return JobsApi(self.session)

    @property
    def users(self) -> UsersApi:
        """:mod:`cvatfn.users`, bound."""
        return UsersApi(self.session)

    @property
    def organizations(self) -> OrganizationsApi:
        """:mod:`cvatfn.organizations`, bound."""
        return OrganizationsApi(self.session)

    @property
    def labels(self) -> LabelsApi:
        """:mod:`cvatfn.labels`, bound."""
        return LabelsApi(self.session)

    @property
    def issues(self) -> IssuesApi:
        """:mod:`cvatfn.issues`, bound."""
        return IssuesApi(self.session)

    @property
    def comments(self) -> CommentsApi:
        """:mod:`cvatfn.comments`, bound."""
        return CommentsApi(self.session)

    @property
    def requests(self) -> RequestsApi:
        """:mod:`cvatfn.requests` (CVAT's background requests), bound."""
        return RequestsApi(self.session)

    @property
    def formats(self) -> FormatsApi:
        """:mod:`cvatfn.formats` (the server's annotation formats), bound."""
        return FormatsApi(self.session)

    def with_org(self, slug: str | None) -> Client:
        """The same client in another organization context (``""``: personal workspace)."""
        return Client(with_org(self.session, slug))


class ClientContext:
    """What :func:`make_client` returns: a context manager, or ``open()`` for a ``Result``."""

    def __init__(
        self,
        host: str,
        *,
        port: int | None,
        credentials: Credentials | None,
        access_token: str | None,
        config: Config | None,
        transport: Transport | None,
    ) -> None:
        self._arguments = (host, port, credentials, access_token, config, transport)
        self._client: Client | None = None

    def open(self) -> Result[Client, CvatError]:
        """Connect and log in; the caller logs out with ``cvatfn.logout(client.session)``."""
        host, port, credentials, access_token, config, transport = self._arguments
        return connect(
            host,
            port=port,
            credentials=credentials,
            access_token=access_token,
            config=config,
            transport=transport,
        ).map(Client)

    def __enter__(self) -> Client:
        match self.open():
            case Success(Client() as client):
                self._client = client
                return client
            case Failure(error):
                raise CvatException(error)
            case _:  # pragma: no cover
                raise AssertionError("unreachable")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            logout(self._client.session)  # best effort: a failed logout is not an error here
            self._client = None


def make_client(
    host: str,
    *,
    port: int | None = None,
    credentials: Credentials | None = None,
    access_token: str | None = None,
    config: Config | None = None,
    transport: Transport | None = None,
) -> ClientContext:
    """Connect like :func:`cvatfn.connect`, for use in a ``with`` block that logs out at the end.

    Entering the block raises :class:`~cvatfn.errors.CvatException` (carrying the error value)
    if connecting fails, because a ``with`` statement cannot return a ``Result``; use
    ``make_client(...).open()`` to get the ``Result`` instead.

    Examples:
        >>> from cvatfn_fake import FakeServer
        >>> with make_client("localhost", credentials=("admin", "admin"),
        ...                  transport=FakeServer().transport()) as client:
        ...     client.users.retrieve_current_user().unwrap().username
        'admin'
        >>> make_client("localhost", credentials=("admin", "nope"),
        ...             transport=FakeServer().transport()).open().failure().status
        400
    """
    return ClientContext(
        host,
        port=port,
        credentials=credentials,
        access_token=access_token,
        config=config,
        transport=transport,
    )
