"""The generic repository: create, retrieve, list, iterate, update, remove and fetch.

Theory of operation
-------------------
Every CVAT collection (``/api/tasks``, ``/api/projects``, ...) follows the same REST shape,
so one :class:`Resource` value describes it: its path, its read model, and the names of the
equality filters its list endpoint documents. Its methods are flows; the public repository
modules (``cvatfn.tasks`` and friends) are thin, typed, documented wrappers that run them.

Inputs are checked before anything is sent: a spec or patch given as a mapping is converted
to its struct (a bad key is ``InvalidInput`` naming it), an unknown list filter is
``InvalidInput`` (CVAT would silently ignore it and return everything), and an entity given
where an id is expected is reduced to its id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._flow import Flow, run
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput, NotFound
from cvatfn.filters import FilterLike, filter_to_json
from cvatfn.models import Page

__all__ = [
    "HasId",
    "IdOrEntity",
    "ListFilter",
    "Resource",
    "build_list_query",
    "child_query",
    "entity_id",
    "list_children",
    "org_of",
]

T = TypeVar("T")
S = TypeVar("S")
ListFilter = str | int | bool


class HasId(Protocol):
    """Anything with an integer ``id`` (every entity)."""

    @property
    def id(self) -> int: ...


IdOrEntity = int | HasId


def entity_id(value: IdOrEntity, *, what: str) -> Result[int, CvatError]:
    """The id of an entity, or the id itself.

    Examples:
        >>> entity_id(7, what="task").unwrap()
        7
        >>> entity_id("7", what="task").failure().message  # type: ignore[arg-type]
        'task must be an id (int) or an entity with an id, not str'
    """
    if isinstance(value, bool):
        return Failure(InvalidInput(message=f"{what} must be an id, not a bool", field=what))
    if isinstance(value, int):
        return Success(value)
    ident: object = getattr(value, "id", None)
    if isinstance(ident, int) and not isinstance(ident, bool):
        return Success(ident)
    return Failure(
        InvalidInput(
            message=f"{what} must be an id (int) or an entity with an id, "
            f"not {type(value).__name__}",
            field=what,
        )
    )


def build_list_query(
    allowed: frozenset[str],
    *,
    search: str | None,
    sort: str | None,
    filter: FilterLike | None,
    filters: Mapping[str, object],
    endpoint: str,
) -> Result[dict[str, Any], CvatError]:
    """Validate and assemble the query of a list call."""
    query: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            return Failure(
                InvalidInput(
                    message=f"{endpoint} has no filter {name!r}; known filters: {known}",
                    field=name,
                )
            )
        if value is None:
            continue
        if not isinstance(value, str | int | bool):
            return Failure(
                InvalidInput(
                    message=f"filter {name!r} must be a str, int or bool, "
                    f"not {type(value).__name__}",
                    field=name,
                )
            )
        query[name] = value
    if search is not None:
        query["search"] = search
    if sort is not None:
        query["sort"] = sort
    if filter is not None:
        rendered = filter_to_json(filter)
        if isinstance(rendered, Failure):
            return Failure(rendered.failure())
        query["filter"] = rendered.unwrap()
    return Success(query)


class Resource(Generic[T]):
    """One CVAT collection: its path, read model and list filters."""

    def __init__(
        self, path: str, model: type[T], *, name: str, filters: frozenset[str] = frozenset()
    ) -> None:
        self.path = path
        self.model = model
        self.name = name
        self.filters = filters | {"org", "org_id"}

    def item_path(self, ident: int) -> str:
        """``/api/<things>/<id>``."""
        return f"{self.path}/{ident}"

    def retrieve(self, session: Session, value: IdOrEntity) -> Result[T, CvatError]:
        """GET one item."""
        ident = entity_id(value, what=self.name)
        if isinstance(ident, Failure):
            return Failure(ident.failure())
        request = _api.build_request(session, "GET", self.item_path(ident.unwrap()))
        return run(session, _api.call(self.model, request, session.config))

    def create(self, session: Session, spec_type: type[S], spec: object) -> Result[T, CvatError]:
        """POST a new item from a spec struct or mapping."""
        converted = _api.convert_input(spec_type, spec, what=f"{self.name} spec", field="spec")
        if isinstance(converted, Failure):
            return Failure(converted.failure())
        request = _api.build_request(session, "POST", self.path, json_body=converted.unwrap())
        return run(session, _api.call(self.model, request, session.config))

    def update(
        self, session: Session, value: IdOrEntity, patch_type: type[S], patch: object
    ) -> Result[T, CvatError]:
        """PATCH an item; the result is the server's new state."""
        ident = entity_id(value, what=self.name)
        if isinstance(ident, Failure):
            return Failure(ident.failure())
        converted = _api.convert_input(patch_type, patch, what=f"{self.name} patch", field="patch")
        if isinstance(converted, Failure):
            return Failure(converted.failure())
        request = _api.build_request(
            session, "PATCH", self.item_path(ident.unwrap()), json_body=converted.unwrap()
        )
        # Setting fields twice leaves them as setting them once, so the PATCH may be retried;
        # but ``labels`` entries without an id add labels, which must not happen twice.
        labels = getattr(converted.unwrap(), "labels", msgspec.UNSET)
        idempotent = labels is msgspec.UNSET or labels is None
        flow = _api.call(self.model, request, session.config, idempotent=idempotent)
        return run(session, flow)

    def remove(self, session: Session, value: IdOrEntity) -> Result[None, CvatError]:
        """DELETE an item."""
        ident = entity_id(value, what=self.name)
        if isinstance(ident, Failure):
            return Failure(ident.failure())
        request = _api.build_request(session, "DELETE", self.item_path(ident.unwrap()))
        result = run(session, _api.call_no_content(request, session.config))
        match result:
            case Failure(NotFound(attempts=attempts)) if attempts > 1:
                # An earlier attempt reached the server and deleted the item; only its answer
                # was lost (a dropped connection, a gateway timeout).
                return Success(None)
            case _:
                return result

    def fetch(self, session: Session, entity: HasId) -> Result[T, CvatError]:
        """A new snapshot of ``entity`` from the server."""
        return self.retrieve(session, entity)

    def list_flow(
        self,
        session: Session,
        *,
        search: str | None,
        sort: str | None,
        filter: FilterLike | None,
        filters: Mapping[str, object],
        org_header: bool = True,
    ) -> Flow[Result[tuple[T, ...], CvatError]]:
        """Every item of the collection that matches, following every page."""
        query = build_list_query(
            self.filters,
            search=search,
            sort=sort,
            filter=filter,
            filters=filters,
            endpoint=self.path,
        )
        if isinstance(query, Failure):
            return Failure(query.failure())
        return (
            yield from _api.list_all(
                self.model, session, self.path, query.unwrap(), org_header=org_header
            )
        )

    def list(
        self,
        session: Session,
        *,
        search: str | None,
        sort: str | None,
        filter: FilterLike | None,
        filters: Mapping[str, object],
    ) -> Result[tuple[T, ...], CvatError]:
        """Run :meth:`list_flow`."""
        return run(
            session,
            self.list_flow(session, search=search, sort=sort, filter=filter, filters=filters),
        )

    def iterate(
        self,
        session: Session,
        *,
        search: str | None,
        sort: str | None,
        filter: FilterLike | None,
        filters: Mapping[str, object],
    ) -> Iterator[Result[T, CvatError]]:
        """Lazily yield ``Success(item)`` page by page; a failure is yielded once, then stops."""
        query = build_list_query(
            self.filters,
            search=search,
            sort=sort,
            filter=filter,
            filters=filters,
            endpoint=self.path,
        )
        if isinstance(query, Failure):
            yield Failure(query.failure())
            return
        page_query: dict[str, Any] | None = _api.first_page(session, query.unwrap())
        while page_query is not None:
            result = run(session, _api.list_page(self.model, session, self.path, page_query))
            match result:
                case Success(Page() as page):
                    for item in page.results:
                        yield Success(item)
                    page_query = _api.next_page(page, page_query)
                case Failure(error):
                    yield Failure(error)
                    return
                case _:  # pragma: no cover
                    raise AssertionError(result)


UNKNOWN_ORG = object()
"""Marks a parent given by id only: its organization is not known."""


def org_of(value: IdOrEntity) -> object:
    """The entity's organization id (``None`` = personal workspace), or :data:`UNKNOWN_ORG`."""
    if isinstance(value, int):
        return UNKNOWN_ORG
    return getattr(value, "organization", UNKNOWN_ORG)


def child_query(parent_org: object, key: str, ident: int) -> dict[str, Any]:
    """Query for a child listing (``task_id=7``), scoped to the parent's organization.

    As the official client does, the organization is passed as ``org_id`` (or ``org=""`` for
    the personal workspace) and the ``X-Organization`` header is left out, so the listing works
    whatever the session's own context is. For a parent given by id only, no organization is
    passed at all, which CVAT 2.80 reads as "every workspace the user can see".
    """
    query: dict[str, Any] = {key: ident}
    if parent_org is None:
        query["org"] = ""
    elif isinstance(parent_org, int) and not isinstance(parent_org, bool):
        query["org_id"] = parent_org
    return query


def list_children(
    session: Session, resource: Resource[T], parent: IdOrEntity, key: str, *, what: str
) -> Result[tuple[T, ...], CvatError]:
    """Every item of ``resource`` whose ``key`` is the parent's id (e.g. a task's jobs)."""
    ident = entity_id(parent, what=what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    query = child_query(org_of(parent), key, ident.unwrap())
    return run(
        session,
        resource.list_flow(
            session, search=None, sort=None, filter=None, filters=query, org_header=False
        ),
    )
