"""Projects: ``/api/projects``.

Every function takes a :class:`~cvatfn.Session` first and returns a ``Result``; nothing
raises. Functions that take a project accept the :class:`~cvatfn.models.Project` value or its
id.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> project = cvatfn.projects.create(
    ...     session, {"name": "animals", "labels": [{"name": "cat"}, {"name": "dog"}]}).unwrap()
    >>> [label.name for label in cvatfn.projects.get_labels(session, project).unwrap()]
    ['cat', 'dog']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from returns.result import Failure, Result

from cvatfn import _api, _media, _transfer
from cvatfn._flow import run
from cvatfn._repo import ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.formats import DEFAULT_IMPORT_FORMAT
from cvatfn.models import Label, Project, ProjectPatch, ProjectSpec, Task
from cvatfn.progress import ProgressReporter

__all__ = [
    "create",
    "create_from_backup",
    "create_from_dataset",
    "download_backup",
    "export_dataset",
    "fetch",
    "get_labels",
    "get_preview",
    "get_tasks",
    "import_dataset",
    "iterate",
    "list",
    "remove",
    "retrieve",
    "update",
]

RESOURCE = Resource(
    "/api/projects",
    Project,
    name="project",
    filters=frozenset({"assignee", "name", "owner", "status"}),
)


def create(
    session: Session, spec: ProjectSpec | Mapping[str, object]
) -> Result[Project, CvatError]:
    """Create a project (with its labels) and return it.

    Examples:
        >>> p1 = cvatfn.projects.create(session, {"name": "p1"}).unwrap()
        >>> p1.name
        'p1'
        >>> cvatfn.projects.create(session, {"nmae": "p1"}).failure().field
        'nmae'
    """
    return RESOURCE.create(session, ProjectSpec, spec)


def retrieve(session: Session, project: int | Project) -> Result[Project, CvatError]:
    """Get one project by id.

    Examples:
        >>> cvatfn.projects.retrieve(session, project.id).unwrap().name
        'animals'
    """
    return RESOURCE.retrieve(session, project)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Project, ...], CvatError]:
    """Every visible project that matches, following every page.

    Equality filters: ``assignee``, ``name``, ``owner``, ``status``, ``org``, ``org_id``.

    Examples:
        >>> [p.name for p in cvatfn.projects.list(session, name="animals").unwrap()]
        ['animals']
    """
    return RESOURCE.list(session, search=search, sort=sort, filter=filter, filters=filters)


def iterate(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Iterator[Result[Project, CvatError]]:
    """Like :func:`list`, lazily, one page at a time.

    Examples:
        >>> [r.unwrap().name for r in cvatfn.projects.iterate(session, search="anim")]
        ['animals']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, project: int | Project, patch: ProjectPatch | Mapping[str, object]
) -> Result[Project, CvatError]:
    """Change a project; the result is the server's new state (``project`` is untouched).

    Examples:
        >>> cvatfn.projects.update(session, project, {"name": "pets"}).unwrap().name
        'pets'
    """
    return RESOURCE.update(session, project, ProjectPatch, patch)


def remove(session: Session, project: int | Project) -> Result[None, CvatError]:
    """Delete a project and its tasks.

    Examples:
        >>> p = cvatfn.projects.create(session, {"name": "tmp"}).unwrap()
        >>> cvatfn.projects.remove(session, p).unwrap() is None
        True
    """
    return RESOURCE.remove(session, project)


def fetch(session: Session, project: Project) -> Result[Project, CvatError]:
    """A fresh snapshot of ``project``; the given value is not changed.

    Examples:
        >>> cvatfn.projects.fetch(session, project).unwrap().name  # renamed above
        'pets'
        >>> project.name
        'animals'
    """
    return RESOURCE.fetch(session, project)


def get_tasks(session: Session, project: int | Project) -> Result[tuple[Task, ...], CvatError]:
    """The project's tasks.

    Examples:
        >>> cvatfn.projects.get_tasks(session, project).unwrap()
        ()
    """
    from cvatfn import tasks

    return list_children(session, tasks.RESOURCE, project, "project_id", what="project")


def get_labels(session: Session, project: int | Project) -> Result[tuple[Label, ...], CvatError]:
    """The project's labels (top-level labels and skeletons; sublabels are nested).

    Examples:
        >>> [label.name for label in cvatfn.projects.get_labels(session, project).unwrap()]
        ['cat', 'dog']
    """
    from cvatfn import labels

    return list_children(session, labels.RESOURCE, project, "project_id", what="project")


def get_preview(session: Session, project: int | Project) -> Result[bytes, CvatError]:
    """The project's preview image (its newest task's); ``NotFound`` while it has no tasks.

    Examples:
        >>> cvatfn.projects.get_preview(session, project).failure().status
        404
    """
    return _media.get_preview(session, _media.PROJECT, project)


def export_dataset(
    session: Session,
    project: int | Project,
    format_name: str,
    path: _transfer.PathLike,
    *,
    include_images: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Export the annotations of every task in the project (with the images if
    ``include_images``) in ``format_name`` and download the file to ``path``; the result is
    the path.

    Works like :func:`cvatfn.tasks.export_dataset`: ``path`` must not exist yet, and the file
    appears there only when it is complete.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (32, 24)).save(folder / "cat.png")
        >>> _ = cvatfn.tasks.create_from_data(session, {"name": "cats", "project_id": project.id},
        ...                                   [folder / "cat.png"]).unwrap()
        >>> dataset = cvatfn.projects.export_dataset(session, project, "CVAT for images 1.1",
        ...                                          folder / "pets.zip",
        ...                                          include_images=True).unwrap()
        >>> dataset.name
        'pets.zip'
        >>> cvatfn.projects.export_dataset(session, project, "COCO 1.0", "").failure().field
        'path'
    """
    return _transfer.export_dataset(
        session,
        "project",
        project,
        format_name,
        path,
        include_images=include_images,
        progress=progress,
    )


def import_dataset(
    session: Session,
    project: int | Project,
    format_name: str,
    path: _transfer.PathLike,
    *,
    conv_mask_to_poly: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[None, CvatError]:
    """Upload a dataset in ``format_name`` into the project and wait until the server has
    imported it: the server creates a task for each subset, with its images and annotations.

    ``conv_mask_to_poly`` asks the server to turn masks into polygons (its default) or not;
    it is sent only when given. ``progress`` sees the ``"upload"`` and ``"background"`` stages.

    Examples:
        >>> empty = cvatfn.projects.create(session, {"name": "empty"}).unwrap()
        >>> cvatfn.projects.import_dataset(session, empty, "CVAT 1.1", dataset).unwrap()
        >>> [label.name for label in cvatfn.projects.get_labels(session, empty).unwrap()]
        ['cat', 'dog']
        >>> [task.size for task in cvatfn.projects.get_tasks(session, empty).unwrap()]
        [1]
        >>> cvatfn.projects.import_dataset(session, project, "COCO 1.0",
        ...                                "no-such-dataset.zip").failure().field
        'path'
    """
    return _transfer.import_dataset(
        session,
        project,
        format_name,
        path,
        conv_mask_to_poly=conv_mask_to_poly,
        progress=progress,
    )


def create_from_dataset(
    session: Session,
    spec: ProjectSpec | Mapping[str, object],
    dataset_path: _transfer.PathLike,
    *,
    dataset_format: str = DEFAULT_IMPORT_FORMAT,
    conv_mask_to_poly: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[Project, CvatError]:
    """Create a project, import a dataset into it (see :func:`import_dataset`), and return the
    project's new state.

    ``dataset_format`` defaults to ``"CVAT 1.1"``, the name CVAT's importer of its own format
    goes by. The spec, the format name and the dataset file are checked before anything is
    sent. If the import fails after the project was created, the failure is returned and the
    project is left on the server.

    Examples:
        >>> copy = cvatfn.projects.create_from_dataset(session, {"name": "pets again"},
        ...                                            dataset).unwrap()
        >>> copy.name, [label.name for label in cvatfn.projects.get_labels(session, copy).unwrap()]
        ('pets again', ['cat', 'dog'])
        >>> cvatfn.projects.create_from_dataset(session, {"name": "from a dataset"},
        ...                                     "no-such-dataset.zip").failure().field
        'path'
        >>> cvatfn.projects.create_from_dataset(session, {"name": "x"}, "d.zip",
        ...                                     dataset_format="").failure().field
        'dataset_format'
    """
    converted = _api.convert_input(ProjectSpec, spec, what="project spec", field="spec")
    if isinstance(converted, Failure):
        return Failure(converted.failure())
    checked = _transfer.check_dataset_import(
        dataset_format, dataset_path, conv_mask_to_poly, format_field="dataset_format"
    )
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    source = run(session, _transfer.check_source(checked.unwrap()[1]))
    if isinstance(source, Failure):
        return Failure(source.failure())
    created = RESOURCE.create(session, ProjectSpec, converted.unwrap())
    if isinstance(created, Failure):
        return created
    project = created.unwrap()
    imported = _transfer.import_dataset(
        session,
        project,
        dataset_format,
        dataset_path,
        conv_mask_to_poly=conv_mask_to_poly,
        progress=progress,
    )
    if isinstance(imported, Failure):
        return Failure(imported.failure())
    return RESOURCE.fetch(session, project)


def download_backup(
    session: Session,
    project: int | Project,
    path: _transfer.PathLike,
    *,
    lightweight: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Back up the project (its labels, tasks, data and annotations) and download the backup
    to ``path``, which must not exist yet; the result is the path.

    ``lightweight=True`` leaves out media that tasks read from a cloud storage.
    :func:`create_from_backup` restores the file as a new project.

    Examples:
        >>> backup = cvatfn.projects.download_backup(session, project,
        ...                                          folder / "pets-backup.zip").unwrap()
        >>> backup.name
        'pets-backup.zip'
        >>> cvatfn.projects.download_backup(session, -1, "backup.zip").failure().field
        'project'
    """
    return _transfer.download_backup(
        session, "project", project, path, lightweight=lightweight, progress=progress
    )


def create_from_backup(
    session: Session,
    path: _transfer.PathLike,
    *,
    progress: ProgressReporter | None = None,
) -> Result[Project, CvatError]:
    """Restore a project backup (from :func:`download_backup`) as a new project and return it.

    The project is created in the session's organization context.

    Examples:
        >>> restored = cvatfn.projects.create_from_backup(session, backup).unwrap()
        >>> restored.name, restored.id != project.id
        ('pets', True)
        >>> cvatfn.projects.create_from_backup(session, "no-such-backup.zip").failure().field
        'path'
    """
    return _transfer.restore_backup(session, "project", Project, path, progress=progress)
