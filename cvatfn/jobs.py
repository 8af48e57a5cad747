"""Jobs: ``/api/jobs``. CVAT cuts a task's frames into jobs by ``segment_size``.

Every function takes a :class:`~cvatfn.Session` first and returns a ``Result``; nothing
raises. Functions that take a job accept the :class:`~cvatfn.models.Job` value or its id.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.jobs.list(session).unwrap()
    ()
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from returns.result import Result

from cvatfn import _annotations, _media, _transfer
from cvatfn._annotations import AnnotationIds, PatchActionValue
from cvatfn._media import Quality
from cvatfn._repo import ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import DataMeta, FrameMeta, Issue, Job, JobPatch, JobSpec, Label, LabeledData
from cvatfn.progress import ProgressReporter

__all__ = [
    "create",
    "download_chunk",
    "download_frames",
    "export_dataset",
    "fetch",
    "get_annotations",
    "get_frame",
    "get_frames_info",
    "get_issues",
    "get_labels",
    "get_meta",
    "get_preview",
    "import_annotations",
    "iterate",
    "list",
    "remove",
    "remove_annotations",
    "remove_frames_by_ids",
    "restore_frames",
    "retrieve",
    "set_annotations",
    "update",
    "update_annotations",
]

RESOURCE = Resource(
    "/api/jobs",
    Job,
    name="job",
    filters=frozenset(
        {
            "assignee",
            "dimension",
            "media_type",
            "mode",
            "parent_job_id",
            "project_id",
            "project_name",
            "stage",
            "state",
            "task_id",
            "task_name",
            "type",
        }
    ),
)


def create(session: Session, spec: JobSpec | Mapping[str, object]) -> Result[Job, CvatError]:
    """Create a ground-truth (validation) job in a task; annotation jobs come from the data.

    Examples:
        >>> cvatfn.jobs.create(session, {"type": "ground_truth"}).failure().field
        'task_id'
    """
    return RESOURCE.create(session, JobSpec, spec)


def retrieve(session: Session, job: int | Job) -> Result[Job, CvatError]:
    """Get one job by id.

    Examples:
        >>> cvatfn.jobs.retrieve(session, 999).failure().status
        404
    """
    return RESOURCE.retrieve(session, job)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Job, ...], CvatError]:
    """Every visible job that matches, following every page.

    Equality filters: ``assignee``, ``dimension``, ``media_type``, ``mode``,
    ``parent_job_id``, ``project_id``, ``project_name``, ``stage``, ``state``, ``task_id``,
    ``task_name``, ``type``, ``org``, ``org_id``.

    Examples:
        >>> cvatfn.jobs.list(session, stage="validation").unwrap()
        ()
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
) -> Iterator[Result[Job, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> next(cvatfn.jobs.iterate(session), None) is None
        True
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, job: int | Job, patch: JobPatch | Mapping[str, object]
) -> Result[Job, CvatError]:
    """Change a job's ``stage``, ``state`` or ``assignee``; the result is its new state.

    Examples:
        >>> cvatfn.jobs.update(session, 1, {"stage": "review"}).failure().field
        'stage'
    """
    return RESOURCE.update(session, job, JobPatch, patch)


def remove(session: Session, job: int | Job) -> Result[None, CvatError]:
    """Delete a job (CVAT allows this for ground-truth jobs only).

    Examples:
        >>> cvatfn.jobs.remove(session, "7").failure().message  # type: ignore[arg-type]
        'job must be an id (int) or an entity with an id, not str'
    """
    return RESOURCE.remove(session, job)


def fetch(session: Session, job: Job) -> Result[Job, CvatError]:
    """A fresh snapshot of ``job``; the given value is not changed.

    Examples:
        >>> cvatfn.jobs.fetch(session, "nope").failure().field  # type: ignore[arg-type]
        'job'
    """
    return RESOURCE.fetch(session, job)


def get_labels(session: Session, job: int | Job) -> Result[tuple[Label, ...], CvatError]:
    """The labels available in the job (its task's or project's).

    Examples:
        >>> cvatfn.jobs.get_labels(session, 999).failure().status
        404
    """
    from cvatfn import labels

    return list_children(session, labels.RESOURCE, job, "job_id", what="job")


def get_issues(session: Session, job: int | Job) -> Result[tuple[Issue, ...], CvatError]:
    """The issues raised in the job.

    Examples:
        >>> cvatfn.jobs.get_issues(session, 999).unwrap()
        ()
    """
    from cvatfn import issues

    return list_children(session, issues.RESOURCE, job, "job_id", what="job")


def get_meta(session: Session, job: int | Job) -> Result[DataMeta, CvatError]:
    """The job's media metadata: its frame range, frame sizes and names, chunk size.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> media = Path(tempfile.mkdtemp())
        >>> for i in range(4):
        ...     Image.new("RGB", (16 + i, 12), (60 * i, 0, 0)).save(media / f"m{i}.png")
        >>> clip = cvatfn.tasks.create_from_data(
        ...     session, {"name": "clip", "labels": [{"name": "x"}], "segment_size": 2},
        ...     sorted(media.glob("m*.png"))).unwrap()
        >>> second = cvatfn.tasks.get_jobs(session, clip).unwrap()[1]
        >>> meta = cvatfn.jobs.get_meta(session, second).unwrap()
        >>> (meta.start_frame, meta.stop_frame)
        (2, 3)
    """
    return _media.get_meta(session, _media.JOB, job)


def get_frames_info(session: Session, job: int | Job) -> Result[tuple[FrameMeta, ...], CvatError]:
    """Name, width and height of each of the job's frames, in frame order.

    Examples:
        >>> [(f.name, f.width) for f in cvatfn.jobs.get_frames_info(session, second).unwrap()]
        [('m2.png', 18), ('m3.png', 19)]
    """
    return _media.get_frames_info(session, _media.JOB, job)


def get_frame(
    session: Session, job: int | Job, frame_id: int, *, quality: Quality = "original"
) -> Result[bytes, CvatError]:
    """The image bytes of one frame; ``frame_id`` is the task's frame number.

    Examples:
        >>> import io
        >>> Image.open(io.BytesIO(cvatfn.jobs.get_frame(session, second, 3).unwrap())).size
        (19, 12)
        >>> cvatfn.jobs.get_frame(session, second, 0).failure().status  # not in this job
        400
        >>> cvatfn.jobs.get_frame(session, second, 2, quality="best").failure().field
        'quality'
    """
    return _media.get_frame(session, _media.JOB, job, frame_id, quality)


def get_preview(session: Session, job: int | Job) -> Result[bytes, CvatError]:
    """The job's preview image.

    Examples:
        >>> Image.open(io.BytesIO(cvatfn.jobs.get_preview(session, second).unwrap())).format
        'JPEG'
        >>> cvatfn.jobs.get_preview(session, "2").failure().field  # type: ignore[arg-type]
        'job'
    """
    return _media.get_preview(session, _media.JOB, job)


def download_chunk(
    session: Session,
    job: int | Job,
    chunk_id: int,
    path: str | os.PathLike[str],
    *,
    quality: Quality = "original",
    progress: ProgressReporter | None = None,
) -> Result[str, CvatError]:
    """Stream the job's data chunk ``chunk_id`` (counted from 0 in each job) into a new file.

    Like :func:`cvatfn.tasks.download_chunk`: written through a temporary file, never over an
    existing file (``InvalidInput(field="path")``, nothing sent). The result is ``path``.

    Examples:
        >>> import zipfile
        >>> chunk = cvatfn.jobs.download_chunk(session, second, 0, media / "job.zip").unwrap()
        >>> len(zipfile.ZipFile(chunk).namelist())  # the job's two frames
        2
        >>> cvatfn.jobs.download_chunk(session, second, 0, media / "m0.png").failure().field
        'path'
    """
    return _media.download_chunk(
        session, _media.JOB, job, chunk_id, path, quality=quality, progress=progress
    )


def download_frames(
    session: Session,
    job: int | Job,
    frame_ids: Sequence[int],
    *,
    outdir: str | os.PathLike[str],
    quality: Quality = "original",
    filename_pattern: str = _media.DEFAULT_FILENAME_PATTERN,
    progress: ProgressReporter | None = None,
) -> Result[tuple[str, ...], CvatError]:
    """Save frames (task frame numbers) as image files in ``outdir``; the result is their paths.

    Like :func:`cvatfn.tasks.download_frames`.

    Examples:
        >>> saved = cvatfn.jobs.download_frames(session, second, [3], outdir=media / "frames")
        >>> [Path(p).name for p in saved.unwrap()]
        ['frame_000003.png']
        >>> cvatfn.jobs.download_frames(session, second, [2, 2], outdir=media).failure().field
        'frame_ids'
    """
    return _media.download_frames(
        session,
        _media.JOB,
        job,
        frame_ids,
        outdir=outdir,
        quality=quality,
        filename_pattern=filename_pattern,
        progress=progress,
    )


def remove_frames_by_ids(
    session: Session, job: int | Job, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Mark frames of the job (task frame numbers) as deleted, keeping those deleted before;
    the result is the job's new metadata.

    Like :func:`cvatfn.tasks.remove_frames_by_ids`: CVAT's ``PATCH`` replaces the job's
    deleted frames, so this reads them and writes back the union. A frame outside the job is
    the server's ``BadRequest``.

    Examples:
        >>> cvatfn.jobs.remove_frames_by_ids(session, second, [3]).unwrap().deleted_frames
        (3,)
        >>> cvatfn.jobs.remove_frames_by_ids(session, second, [2]).unwrap().deleted_frames
        (2, 3)
        >>> type(cvatfn.jobs.remove_frames_by_ids(session, second, [0]).failure()).__name__
        'BadRequest'
    """
    return _media.remove_frames(session, _media.JOB, job, ids)


def restore_frames(
    session: Session, job: int | Job, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Take frames of the job out of the deleted set; the result is the job's new metadata.

    Examples:
        >>> cvatfn.jobs.restore_frames(session, second, [2, 3]).unwrap().deleted_frames
        ()
        >>> cvatfn.jobs.restore_frames(session, second, "2").failure().field
        'ids'
    """
    return _media.restore_frames(session, _media.JOB, job, ids)


def export_dataset(
    session: Session,
    job: int | Job,
    format_name: str,
    path: _transfer.PathLike,
    *,
    include_images: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Export the job's annotations (with its images if ``include_images``) in
    ``format_name`` and download the file to ``path``; the result is the path.

    Works like :func:`cvatfn.tasks.export_dataset`, for the job's frames only.

    Examples:
        >>> cvatfn.jobs.export_dataset(session, 0, "CVAT for images 1.1", "out.zip").failure().field
        'job'
    """
    return _transfer.export_dataset(
        session,
        "job",
        job,
        format_name,
        path,
        include_images=include_images,
        progress=progress,
    )


def import_annotations(
    session: Session,
    job: int | Job,
    format_name: str,
    path: _transfer.PathLike,
    *,
    import_mode: _transfer.ImportMode | None = None,
    conv_mask_to_poly: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[None, CvatError]:
    """Upload an annotation file in ``format_name`` into the job and wait until the server has
    imported it.

    Works like :func:`cvatfn.tasks.import_annotations`, for the job's frames only.

    Examples:
        >>> cvatfn.jobs.import_annotations(session, 1, "", "annotations.xml").failure().field
        'format_name'
    """
    return _transfer.import_annotations(
        session,
        "job",
        job,
        format_name,
        path,
        import_mode=import_mode,
        conv_mask_to_poly=conv_mask_to_poly,
        progress=progress,
    )


def get_annotations(session: Session, job: int | Job) -> Result[LabeledData, CvatError]:
    """Every annotation of the job: its tags, shapes and tracks.

    Examples:
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (32, 24)).save(folder / "a.png")
        >>> task = cvatfn.tasks.create_from_data(
        ...     session, {"name": "dogs", "labels": [{"name": "dog"}]}, [folder / "a.png"]).unwrap()
        >>> job = cvatfn.tasks.get_jobs(session, task).unwrap()[0]
        >>> dog = cvatfn.jobs.get_labels(session, job).unwrap()[0].id
        >>> cvatfn.jobs.get_annotations(session, job).unwrap().shapes
        ()
    """
    return _annotations.retrieve(session, RESOURCE, job)


def set_annotations(
    session: Session, job: int | Job, data: LabeledData | Mapping[str, object]
) -> Result[LabeledData, CvatError]:
    """Replace every annotation of the job with ``data``; the result is the server's new
    annotations, with the ids it gave them.

    Works like :func:`cvatfn.tasks.set_annotations`.

    Examples:
        >>> from cvatfn import masks
        >>> blob = masks.Mask(left=1, top=2, rows=((True, True), (False, True)))
        >>> shape = masks.to_shape(blob, frame=0, label_id=dog).unwrap()
        >>> data = cvatfn.jobs.set_annotations(session, job, LabeledData(shapes=(shape,))).unwrap()
        >>> masks.from_shape(data.shapes[0]).unwrap() == blob
        True
    """
    return _annotations.replace(session, RESOURCE, job, data)


def update_annotations(
    session: Session,
    job: int | Job,
    data: LabeledData | Mapping[str, object],
    *,
    action: PatchActionValue,
) -> Result[LabeledData, CvatError]:
    """Create, update or delete only the objects in ``data``; the result is the server's
    answer, the objects it changed.

    Works like :func:`cvatfn.tasks.update_annotations`.

    Examples:
        >>> tag = cvatfn.jobs.update_annotations(
        ...     session, job, {"tags": [{"frame": 0, "label_id": dog}]}, action="create"
        ... ).unwrap().tags[0]
        >>> deleted = cvatfn.jobs.update_annotations(session, job, {"tags": [tag]},
        ...                                          action="delete").unwrap()
        >>> [t.id for t in deleted.tags] == [tag.id]
        True
        >>> cvatfn.jobs.update_annotations(session, job, {"tags": [tag]}, action="merge"
        ...                                ).failure().field  # type: ignore[arg-type]
        'action'
    """
    return _annotations.patch(session, RESOURCE, job, data, action)


def remove_annotations(
    session: Session,
    job: int | Job,
    *,
    ids: AnnotationIds | Mapping[str, Iterable[int]] | None = None,
) -> Result[None, CvatError]:
    """Remove every annotation of the job, or only the objects with the given ``ids``.

    Works like :func:`cvatfn.tasks.remove_annotations`.

    Examples:
        >>> cvatfn.jobs.remove_annotations(session, job, ids={"shapes": [data.shapes[0].id]}
        ...                                ).unwrap()
        >>> cvatfn.jobs.get_annotations(session, job).unwrap().shapes
        ()
        >>> cvatfn.jobs.remove_annotations(session, job).unwrap()
    """
    return _annotations.remove(session, RESOURCE, job, ids)
