"""cvatfn's public surface, found automatically, and a recipe of plausible arguments for each call.

:func:`public_functions` lists every function in ``__all__`` of the public modules that
``cvatfn`` exports (``cvatfn.tasks``, ``cvatfn.masks``, ...) and the top-level functions
(``cvatfn.connect``, ``cvatfn.make_client``, ...). :func:`client_functions` lists what a
:class:`cvatfn.Client` binds (``client.tasks.retrieve``) and the public function behind each.
:data:`RECIPES` says how to build arguments for each name; a function without one fails the
never-raises suite, so a new public function cannot go untested.

A recipe draws its arguments from an :class:`Env`: one example's hypothesis data and a fresh
directory, in which it records the download targets, output directories and source files the
call is given, so the test can check what the call left on disk.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import msgspec
from hypothesis import strategies as st
from returns.result import Failure, Success

import cvatfn
from cvatfn import models
from cvatfn.filters import F
from cvatfn.progress import RecordingReporter
from cvatfn.tasks import ResourceType

from ._chaos import asset, pick

__all__ = [
    "RECIPES",
    "TALLY",
    "Env",
    "Recipe",
    "build_arguments",
    "canonical_names",
    "client_functions",
    "public_functions",
]

Draw = Callable[[st.SearchStrategy[Any]], Any]

TALLY: Counter[str] = Counter()
"""Calls tried by the never-raises property, escapes, and outcomes (printed at the end)."""

# ------------------------------------------------------------------------------ discovery


def _public_modules() -> list[ModuleType]:
    return [
        value for name in cvatfn.__all__ if isinstance(value := getattr(cvatfn, name), ModuleType)
    ]


def public_functions() -> dict[str, Callable[..., Any]]:
    """``{"tasks.create": cvatfn.tasks.create, ..., "connect": cvatfn.connect}``.

    A function exported twice (``cvatfn.and_then`` is ``cvatfn.results.and_then``) is listed
    once, under its module.
    """
    found: dict[str, Callable[..., Any]] = {}
    seen: set[int] = set()
    for module in _public_modules():
        prefix = module.__name__.removeprefix("cvatfn.")
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isfunction(value) and id(value) not in seen:
                seen.add(id(value))
                found[f"{prefix}.{name}"] = value
    for name in cvatfn.__all__:
        value = getattr(cvatfn, name)
        if inspect.isfunction(value) and id(value) not in seen:
            seen.add(id(value))
            found[name] = value
    return found


def client_functions(session: cvatfn.Session) -> dict[str, tuple[Callable[..., Any], object]]:
    """``{"client.tasks.create": (bound callable, the function it binds), ...}``."""
    client = cvatfn.Client(session)
    found: dict[str, tuple[Callable[..., Any], object]] = {}
    for api_name, attribute in vars(cvatfn.Client).items():
        if not isinstance(attribute, property):
            continue
        api = getattr(client, api_name)
        for name, bound in vars(api).items():
            if callable(bound):
                inner = bound.func if isinstance(bound, functools.partial) else None
                found[f"client.{api_name}.{name}"] = (cast(Callable[..., Any], bound), inner)
    return found


def canonical_names() -> dict[int, str]:
    """``id(function) -> its name in`` :func:`public_functions`."""
    return {id(function): name for name, function in public_functions().items()}


# ------------------------------------------------------------------------------ environment

_counter = itertools.count()


@dataclass
class Env:
    """One example's argument maker: hypothesis data and a fresh directory."""

    draw: Draw
    root: Path
    targets: list[Path] = field(default_factory=list[Path])
    """Download targets that did not exist before the call."""
    occupied: dict[Path, bytes] = field(default_factory=dict[Path, bytes])
    """Download targets where a file already was, with its content."""
    outdirs: list[Path] = field(default_factory=list[Path])
    sources: dict[Path, bytes] = field(default_factory=dict[Path, bytes])

    @classmethod
    def fresh(cls, draw: Draw, base: Path) -> Env:
        root = Path(tempfile.mkdtemp(prefix=f"ex{next(_counter)}-", dir=base))
        return cls(draw, root)

    def _dir(self, name: str) -> Path:
        path = self.root / f"{name}{len(os.listdir(self.root))}"
        path.mkdir()
        return path

    def target(self, suffix: str = ".zip") -> object:
        """A path to download to: usually free, sometimes taken or in a missing directory."""
        kind = valid_or_not(self, ("free",), ("taken", "no such directory", "junk"))
        if kind == "junk":
            return pick(self.draw, ["", 7, None, b"x.zip", "a\0b"])
        folder = self._dir("target")
        path = folder / f"out{suffix}"
        if kind == "taken":
            path.write_bytes(b"precious")
            self.occupied[path] = b"precious"
        elif kind == "no such directory":
            path = folder / "missing" / f"out{suffix}"
        else:
            self.targets.append(path)
        return pick(self.draw, [str(path), path])

    def outdir(self) -> object:
        folder = self._dir("frames")
        path = folder / pick(self.draw, ["", "new", "new/deeper"])
        self.outdirs.append(path)
        return pick(self.draw, [str(path), path])

    def source(self, name: str = "data.zip") -> object:
        """A file to upload: usually a small readable file, sometimes empty or missing."""
        kind = valid_or_not(self, ("file",), ("empty", "missing", "junk"))
        if kind == "junk":
            return pick(self.draw, ["", 3, None])
        folder = self._dir("source")
        path = folder / name
        if kind != "missing":
            content = b"" if kind == "empty" else self.draw(st.binary(min_size=1, max_size=64))
            path.write_bytes(content)
            self.sources[path] = content
        return pick(self.draw, [str(path), path])


Maker = Callable[[Env], object]


@dataclass(frozen=True)
class Recipe:
    """How to call one public function.

    ``args``/``kwargs`` make the arguments after the session (``session=True``) or all of them.
    ``then`` turns what the function returned into what is checked (``make_client(...)`` is
    checked through ``.open()``); ``returns`` names what a function that does not return a
    ``Result`` must return.
    """

    args: tuple[Maker, ...] = ()
    kwargs: Mapping[str, Maker] = field(default_factory=dict[str, Maker])
    session: bool = True
    then: Callable[[Any], Any] | None = None
    returns: type | tuple[type, ...] | None = None
    chaotic_about: bool = False
    """``connect`` and friends talk to a server whose ``about`` is chaotic too."""
    valid: Callable[[Any], bool] | None = None
    """What else a value that ``returns`` must satisfy."""
    spread: Callable[[Env], dict[str, object]] | None = None
    """Makes all keyword arguments at once, their names included (``list(**filters)``)."""


# ------------------------------------------------------------------------------ makers


def _decode(type_: type[Any], name: str) -> Any:
    page = cast(dict[str, Any], asset(name))
    return msgspec.convert(page["results"][0], type_)


@functools.cache
def _entities() -> dict[str, Any]:
    return {
        "task": _decode(models.Task, "tasks"),
        "project": _decode(models.Project, "projects"),
        "job": _decode(models.Job, "jobs"),
        "label": _decode(models.Label, "labels"),
        "user": _decode(models.User, "users"),
        "issue": _decode(models.Issue, "issues"),
        "comment": _decode(models.Comment, "comments"),
        "organization": _decode(models.Organization, "organizations"),
        "membership": _decode(models.Membership, "memberships"),
    }


def const(value: object) -> Maker:
    return lambda env: value


def one_of(*values: object) -> Maker:
    return lambda env: pick(env.draw, values)


BAD_ODDS = 12
"""One argument in this many is of the wrong kind, so that most calls reach the server."""


def valid_or_not(env: Env, valid: Sequence[object], invalid: Sequence[object]) -> object:
    """Usually one of ``valid``; one time in :data:`BAD_ODDS`, one of ``invalid``."""
    # Hypothesis favours the ends of a range, so the rare case is one in the middle.
    if env.draw(st.integers(0, BAD_ODDS - 1)) == BAD_ODDS // 2:
        return pick(env.draw, invalid)
    return pick(env.draw, valid)


def either(valid: Sequence[object], invalid: Sequence[object]) -> Maker:
    return lambda env: valid_or_not(env, valid, invalid)


_BAD_IDS = ("7", None, True, 1.5, object())


def ref(kind: str) -> Maker:
    """An id, the entity itself, or (rarely) something that is neither."""

    def make(env: Env) -> object:
        choice = env.draw(st.integers(0, BAD_ODDS - 1))
        if choice == BAD_ODDS // 2:
            return pick(env.draw, (0, -1, 2**63, 2**70, *_BAD_IDS))
        if choice < BAD_ODDS // 2:
            return env.draw(st.integers(1, 60))
        return _entities()[kind]

    return make


def entity(kind: str) -> Maker:
    return lambda env: _entities()[kind]


def rq_id(env: Env) -> object:
    return env.draw(
        st.sampled_from(["rq-1", "", "a/b?c#d", "../x", "x" * 300]) | st.text(max_size=8)
    )


_VALID: dict[str, tuple[object, ...]] = {
    "TaskSpec": (
        {"name": "t", "labels": [{"name": "car"}]},
        models.TaskSpec(name="t", segment_size=5),
        {"name": "t", "project_id": 3},
    ),
    "TaskPatch": ({"name": "renamed"}, models.TaskPatch(assignee_id=None), {"labels": []}),
    "ProjectSpec": ({"name": "p", "labels": [{"name": "cat"}]}, models.ProjectSpec(name="p")),
    "ProjectPatch": ({"name": "q"}, models.ProjectPatch(bug_tracker="")),
    "JobSpec": (
        {
            "type": "ground_truth",
            "task_id": 1,
            "frame_selection_method": "random_uniform",
            "frame_count": 1,
        },
        models.JobSpec(type="ground_truth", task_id=2, frames=(0,)),
    ),
    "JobPatch": ({"stage": "validation"}, models.JobPatch(assignee=None)),
    "LabelPatch": ({"name": "bus"}, models.LabelPatch(color="#ff0000")),
    "IssueSpec": ({"job": 1, "frame": 0, "position": [1.0, 2.0, 3.0, 4.0], "message": "look"},),
    "IssuePatch": ({"resolved": True}, models.IssuePatch(position=(1.0, 1.0, 2.0, 2.0))),
    "CommentSpec": ({"issue": 1, "message": "hi"},),
    "CommentPatch": ({"message": "edited"},),
    "OrganizationSpec": ({"slug": "lab", "name": "Lab"}, models.OrganizationSpec(slug="org")),
    "OrganizationPatch": ({"name": "Lab 2"}, {"contact": {"email": "a@b.c"}}),
    "MembershipPatch": ({"role": "supervisor"},),
    "InvitationSpec": ({"role": "worker", "email": "w@example.com"},),
    "UserPatch": ({"first_name": "Ann"}, models.UserPatch(is_active=True)),
    "DataParams": ({"image_quality": 70}, {"chunk_size": 4, "sorting_method": "natural"}),
    "LabeledData": (
        {"version": 0, "tags": [{"frame": 0, "label_id": 1}]},
        {
            "shapes": [
                {"type": "rectangle", "frame": 0, "label_id": 1, "points": [0, 0, 1, 1], "id": 3}
            ]
        },
        models.LabeledData(),
        {},
    ),
}


def spec(kind: str) -> Maker:
    """A valid spec or patch of ``kind`` (a dict or the struct), or (rarely) junk."""

    def make(env: Env) -> object:
        return valid_or_not(env, _VALID[kind], (None, 5, "name", [("name", "x")], {"nmae": "x"}))

    return make


def progress(env: Env) -> object:
    return pick(env.draw, [None, None, RecordingReporter()])


def flag(env: Env) -> object:
    return valid_or_not(env, (False, True), (None, "yes", 1))


def quality(env: Env) -> object:
    return valid_or_not(env, ("original", "compressed"), ("best", None))


def small_int(env: Env) -> object:
    return valid_or_not(env, range(6), (-1, 2**70, True, "1"))


def frame_ids(env: Env) -> object:
    valid = env.draw(st.lists(st.integers(0, 8), max_size=4, unique=True))
    return valid_or_not(env, (valid,), ([1, 1], [-1], ["0"], "01", None))


def format_name(env: Env) -> object:
    return valid_or_not(
        env, ("CVAT for images 1.1", "COCO 1.0", "CVAT 1.1", "Nope 9"), ("", "  ", None)
    )


def filename_pattern(env: Env) -> object:
    return pick(
        env.draw,
        [
            "frame_{frame_id:06d}{frame_ext}",
            "{frame_id}{frame_ext}",
            "{frame_id}.bin",
            "x{frame_ext}",
            "../{frame_id}",
            "{frame}",
            "{frame_id:d}{frame_ext:>99999999999}",
            "{frame_ext.__class__}",
        ],
    )


def resources(env: Env) -> object:
    count = env.draw(st.integers(1, 3))
    files = [env.source(f"image{i}.png") for i in range(count)]
    others = (["share/a.png"], ["http://x/a.png"])
    return valid_or_not(env, (files, files, files, *others), ("a.png", None))


def resource_type(env: Env) -> object:
    return valid_or_not(
        env,
        (ResourceType.LOCAL, ResourceType.LOCAL, ResourceType.SHARE, ResourceType.REMOTE),
        ("local", "ftp"),
    )


def annotation_ids(env: Env) -> object:
    return valid_or_not(
        env,
        (None, {"shapes": [1, 2]}, cvatfn.AnnotationIds(tags=frozenset({3})), {"tracks": []}),
        ({"x": [1]}, 5),
    )


def action(env: Env) -> object:
    return valid_or_not(env, ("create", "update", "delete"), ("merge", None))


_LIST_FILTERS: tuple[object, ...] = (
    F.id == 1,
    (F.name == "x") | (F.id > 2),
    {"==": [{"var": "id"}, 1]},
    '{"and": []}',
    "[1]",
    "{",
    {"x": object()},
)


def list_kwargs(module_name: str) -> Callable[[Env], dict[str, object]]:
    """Keyword arguments of ``list``/``iterate``: search, sort, filter and equality filters."""

    def make(env: Env) -> dict[str, object]:
        module = getattr(cvatfn, module_name)
        resource = getattr(module, "RESOURCE", None)
        names = sorted(getattr(resource, "filters", ()) or ("status",))
        kwargs: dict[str, object] = {}
        if module_name != "requests" and env.draw(st.booleans()):
            kwargs["search"] = pick(env.draw, ["car", "", "ä ü", "%"])
        if env.draw(st.booleans()):
            kwargs["sort"] = pick(env.draw, ["-id", "name,id", ""])
        if env.draw(st.booleans()):
            kwargs["filter"] = pick(env.draw, _LIST_FILTERS)
        for _ in range(env.draw(st.integers(0, 2))):
            name = pick(env.draw, names) if env.draw(st.integers(0, 9)) else "bogus"
            kwargs[name] = pick(env.draw, [1, "x", True, None, "x", 1, 1.5])
        return kwargs

    return make


def _listing(module_name: str) -> Recipe:
    return Recipe(spread=list_kwargs(module_name))


def build_arguments(recipe: Recipe, env: Env) -> tuple[list[object], dict[str, object]]:
    """The positional and keyword arguments ``recipe`` makes (the session not included)."""
    args = [make(env) for make in recipe.args]
    kwargs = {name: make(env) for name, make in recipe.kwargs.items()}
    if recipe.spread is not None:
        kwargs.update(recipe.spread(env))
    return args, kwargs


# ------------------------------------------------------------------------------ masks, filters


def _bitmap(env: Env) -> object:
    rows = env.draw(st.integers(0, 4))
    cols = env.draw(st.integers(0, 4))
    return env.draw(
        st.lists(
            st.lists(st.sampled_from([0, 1, True, False]), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
        | st.sampled_from([[[2]], [[0, 1], [1]], "11", None, [[None]]])
    )


def _bbox(env: Env) -> object:
    return env.draw(
        st.none()
        | st.lists(st.integers(-2, 6), min_size=4, max_size=4)
        | st.sampled_from([[0.5, 0, 1, 1], [0, 0], "0,0,1,1"])
    )


def _points(env: Env) -> object:
    return env.draw(
        st.lists(
            st.integers(0, 6) | st.sampled_from([0.5, -1, float("nan"), float("inf")]), max_size=9
        )
        | st.sampled_from([[2, 2, 0, 0, 1, 1], [4, 0, 0, 1, 1], "points", None])
    )


def _mask(env: Env) -> object:
    return pick(
        env.draw,
        [
            cvatfn.masks.Mask(left=0, top=0, rows=((True, False),)),
            cvatfn.masks.Mask(left=2, top=1, rows=((True,), (True,))),
            cvatfn.masks.Mask(left=0, top=0, rows=()),
            cvatfn.masks.Mask(left=-1, top=0, rows=((True,),)),
            cvatfn.masks.Mask(left=0, top=0, rows=((True,), (True, True))),
            "mask",
        ],
    )


def _shape(env: Env) -> object:
    return pick(
        env.draw,
        [
            models.LabeledShape(type="mask", frame=0, label_id=1, points=(1, 1, 0, 0, 0, 1)),
            models.LabeledShape(type="mask", frame=0, label_id=1, points=(3, 0, 0, 1, 1)),
            models.LabeledShape(type="rectangle", frame=0, label_id=1, points=(0, 0, 1, 1)),
            models.LabeledShape(type="mask", frame=0, label_id=1, points=(1e300, 0, 0, 0, 0)),
            None,
        ],
    )


def _size(env: Env) -> object:
    return env.draw(st.integers(-1, 8) | st.sampled_from([True, 2.0, "4"]))


def _filter_value(env: Env) -> object:
    return env.draw(
        st.sampled_from(
            [
                F.id == 1,
                (F.name == "x") & (F.id > 2),
                {"==": [{"var": "id"}, 1]},
                '{"==": [{"var": "id"}, 1]}',
                "[1]",
                "{",
                "",
                {1: 2},
                {"x": {1, 2}},
                {"x": object()},
                5,
                None,
            ]
        )
    )


def _result(env: Env) -> object:
    return pick(env.draw, [Success(1), Failure(cvatfn.errors.NotFound(message="x", status=404))])


def _results(env: Env) -> object:
    return [_result(env) for _ in range(env.draw(st.integers(0, 3)))]


def _then(env: Env) -> object:
    return pick(env.draw, [Success, lambda v: Failure(cvatfn.errors.InvalidInput(message=str(v)))])


def _headers(env: Env) -> object:
    return env.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Cookie", "Accept", "authorization", "X-CSRFToken"]),
                st.text(max_size=6),
            ),
            max_size=3,
        ).map(tuple)
    )


# ------------------------------------------------------------------------------ retry

_RETRY_AFTER = (
    None,
    "0",
    "3",
    " 7 ",
    "-5",
    "1e308",
    "1e999",
    "nan",
    "inf",
    str(2**70),
    "soon",
    "",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Wed, 21 Oct 2015 07:29:30 +0000",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 01 Jan 0001 00:00:00 GMT",
    "Wed, 21 Oct 2015 07:28:00",
    "Wed, 32 Oct 2015 25:61:00 GMT",
)


def _retry_after(env: Env) -> object:
    return pick(env.draw, _RETRY_AFTER)


def _policy(env: Env) -> object:
    return pick(
        env.draw,
        [
            cvatfn.retry.RetryPolicy(),
            cvatfn.retry.NO_RETRY,
            cvatfn.retry.RetryPolicy(initial_delay=0.0, jitter=1.0),
            cvatfn.retry.RetryPolicy(multiplier=1e308, max_delay=float("inf")),
            cvatfn.retry.RetryPolicy(max_attempts=10**6, max_elapsed=float("inf")),
            cvatfn.retry.RetryPolicy(initial_delay=float("nan"), jitter=-1.0),
            cvatfn.retry.RetryPolicy(respect_retry_after=False, max_retry_after=-1.0),
        ],
    )


def _outcome(env: Env) -> object:
    if env.draw(st.integers(0, 3)) == 0:  # a TransportError
        kind = pick(
            env.draw, ["connect", "timeout", "tls_handshake", "tls_certificate", "protocol"]
        )
        return cvatfn.http.TransportError(kind, "x")
    return _response(env)


def _response(env: Env) -> object:
    headers: list[tuple[str, str]] = []
    for name in ("Retry-After", "Date"):
        value = pick(env.draw, _RETRY_AFTER)
        if value is not None:
            headers.append((name, value))
    status = pick(env.draw, [200, 408, 429, 500, 502, 503, 504])
    return cvatfn.http.HttpResponse(status, tuple(headers))


def _a_delay(value: object) -> bool:
    """``None`` or a wait a clock can take: finite and not negative."""
    return value is None or (isinstance(value, float | int) and 0 <= value < float("inf"))


# ------------------------------------------------------------------------------ the table


_HOSTS = (
    "http://h",
    "h",
    "localhost:8080",
    "https://h:8443",
    "http://h/",
    "",
    "http://",
    "ftp://h",
    "h:99999",
    "http://[::1",
    "http://h/path?q#f",
    "http://u:p@h",
    None,
    5,
)


def _host(env: Env) -> object:
    return pick(env.draw, _HOSTS)


def _credentials(env: Env) -> object:
    return pick(env.draw, [None, ("a", "b"), ("admin", ""), ("a",), "a:b", ("a", 1)])


def _token(env: Env) -> object:
    return pick(env.draw, [None, None, "tok", "", 5])


def _config(env: Env) -> object:
    return pick(
        env.draw,
        [
            None,
            cvatfn.Config(allow_unsupported_server=False),
            cvatfn.Config(page_size=1, status_check_period=0.0),
            cvatfn.Config(request_deadline=0.0),
            "config",
        ],
    )


def _port(env: Env) -> object:
    return pick(env.draw, [None, None, 8080, 0, 70000, "80", True])


def _slug(env: Env) -> object:
    return pick(env.draw, [None, "", "lab", "a b", 5])


_CONNECT = {
    "port": _port,
    "credentials": _credentials,
    "access_token": _token,
    "config": _config,
}


def _repository(
    module: str, *, spec_kind: str | None = None, patch_kind: str | None = None, kind: str
) -> dict[str, Recipe]:
    recipes = {
        f"{module}.retrieve": Recipe((ref(kind),)),
        f"{module}.list": _listing(module),
        f"{module}.iterate": _listing(module),
        f"{module}.remove": Recipe((ref(kind),)),
        f"{module}.fetch": Recipe((entity(kind),)),
    }
    if spec_kind:
        recipes[f"{module}.create"] = Recipe((spec(spec_kind),))
    if patch_kind:
        recipes[f"{module}.update"] = Recipe((ref(kind), spec(patch_kind)))
    return recipes


def _media(module: str, kind: str) -> dict[str, Recipe]:
    return {
        f"{module}.get_frame": Recipe((ref(kind), small_int), {"quality": quality}),
        f"{module}.get_preview": Recipe((ref(kind),)),
        f"{module}.get_meta": Recipe((ref(kind),)),
        f"{module}.get_frames_info": Recipe((ref(kind),)),
        f"{module}.get_labels": Recipe((ref(kind),)),
        f"{module}.download_chunk": Recipe(
            (ref(kind), small_int, lambda env: env.target(".zip")),
            {"quality": quality, "progress": progress},
        ),
        f"{module}.download_frames": Recipe(
            (ref(kind), frame_ids),
            {
                "outdir": lambda env: env.outdir(),
                "quality": quality,
                "filename_pattern": filename_pattern,
                "progress": progress,
            },
        ),
        f"{module}.remove_frames_by_ids": Recipe((ref(kind), frame_ids)),
        f"{module}.restore_frames": Recipe((ref(kind), frame_ids)),
        f"{module}.get_annotations": Recipe((ref(kind),)),
        f"{module}.set_annotations": Recipe((ref(kind), spec("LabeledData"))),
        f"{module}.update_annotations": Recipe(
            (ref(kind), spec("LabeledData")), {"action": action}
        ),
        f"{module}.remove_annotations": Recipe((ref(kind),), {"ids": annotation_ids}),
        f"{module}.export_dataset": Recipe(
            (ref(kind), format_name, lambda env: env.target(".zip")),
            {"include_images": flag, "progress": progress},
        ),
        f"{module}.import_annotations": Recipe(
            (ref(kind), format_name, lambda env: env.source("annotations.xml")),
            {
                "import_mode": either((None, "append", "replace"), ("merge",)),
                "conv_mask_to_poly": flag,
                "progress": progress,
            },
        ),
    }


RECIPES: dict[str, Recipe] = {
    # top level
    "connect": Recipe(
        (_host,), {**_CONNECT, "transport": const(None)}, session=False, chaotic_about=True
    ),
    "make_client": Recipe(
        (_host,),
        {**_CONNECT, "transport": const(None)},
        session=False,
        then=lambda context: context.open(),
        chaotic_about=True,
    ),
    "login": Recipe((_credentials,)),
    "logout": Recipe(),
    "with_org": Recipe((_slug,), returns=cvatfn.Session),
    # tasks
    **_repository("tasks", spec_kind="TaskSpec", patch_kind="TaskPatch", kind="task"),
    **_media("tasks", "task"),
    "tasks.create_from_data": Recipe(
        (spec("TaskSpec"), resources),
        {"resource_type": resource_type, "data_params": spec("DataParams"), "progress": progress},
    ),
    "tasks.upload_data": Recipe(
        (ref("task"), resources),
        {"resource_type": resource_type, "data_params": spec("DataParams"), "progress": progress},
    ),
    "tasks.get_jobs": Recipe((ref("task"),)),
    "tasks.download_backup": Recipe(
        (ref("task"), lambda env: env.target(".zip")), {"lightweight": flag, "progress": progress}
    ),
    "tasks.create_from_backup": Recipe(
        (lambda env: env.source("backup.zip"),), {"progress": progress}
    ),
    # projects
    **_repository("projects", spec_kind="ProjectSpec", patch_kind="ProjectPatch", kind="project"),
    "projects.get_tasks": Recipe((ref("project"),)),
    "projects.get_labels": Recipe((ref("project"),)),
    "projects.get_preview": Recipe((ref("project"),)),
    "projects.export_dataset": Recipe(
        (ref("project"), format_name, lambda env: env.target(".zip")),
        {"include_images": flag, "progress": progress},
    ),
    "projects.import_dataset": Recipe(
        (ref("project"), format_name, lambda env: env.source("dataset.zip")),
        {"conv_mask_to_poly": flag, "progress": progress},
    ),
    "projects.create_from_dataset": Recipe(
        (spec("ProjectSpec"), lambda env: env.source("dataset.zip")),
        {"dataset_format": format_name, "conv_mask_to_poly": flag, "progress": progress},
    ),
    "projects.download_backup": Recipe(
        (ref("project"), lambda env: env.target(".zip")),
        {"lightweight": flag, "progress": progress},
    ),
    "projects.create_from_backup": Recipe(
        (lambda env: env.source("backup.zip"),), {"progress": progress}
    ),
    # jobs
    **_repository("jobs", spec_kind="JobSpec", patch_kind="JobPatch", kind="job"),
    **_media("jobs", "job"),
    "jobs.get_issues": Recipe((ref("job"),)),
    # users
    **_repository("users", patch_kind="UserPatch", kind="user"),
    "users.retrieve_current_user": Recipe(),
    # organizations
    **_repository(
        "organizations",
        spec_kind="OrganizationSpec",
        patch_kind="OrganizationPatch",
        kind="organization",
    ),
    "organizations.get_memberships": Recipe(
        (lambda env: pick(env.draw, [_entities()["organization"], "lab", "", 5]),)
    ),
    "organizations.invite": Recipe(
        (
            lambda env: pick(env.draw, [_entities()["organization"], "lab", 5]),
            spec("InvitationSpec"),
        )
    ),
    "organizations.update_membership": Recipe((ref("membership"), spec("MembershipPatch"))),
    "organizations.remove_membership": Recipe((ref("membership"),)),
    # labels, issues, comments
    **_repository("labels", patch_kind="LabelPatch", kind="label"),
    **_repository("issues", spec_kind="IssueSpec", patch_kind="IssuePatch", kind="issue"),
    "issues.get_comments": Recipe((ref("issue"),)),
    **_repository("comments", spec_kind="CommentSpec", patch_kind="CommentPatch", kind="comment"),
    # background requests
    "requests.retrieve": Recipe((rq_id,)),
    "requests.cancel": Recipe((rq_id,)),
    "requests.list": _listing("requests"),
    "requests.iterate": _listing("requests"),
    "requests.wait": Recipe(
        (rq_id,),
        {
            "deadline": one_of(None, 0.0, 5.0, -1.0, float("nan"), float("inf")),
            "progress": progress,
        },
    ),
    "formats.retrieve": Recipe(),
    # pure helpers
    "masks.decode": Recipe((_points,), session=False),
    "masks.encode": Recipe((_bitmap,), {"bbox": _bbox}, session=False),
    "masks.from_bitmap": Recipe((_bitmap,), {"bbox": _bbox}, session=False),
    "masks.from_shape": Recipe((_shape,), session=False),
    "masks.to_bitmap": Recipe(
        (_mask,), {"image_width": _size, "image_height": _size}, session=False
    ),
    "masks.to_points": Recipe((_mask,), session=False),
    "masks.to_shape": Recipe(
        (_mask,),
        {
            "frame": small_int,
            "label_id": small_int,
            "group": one_of(0, None, -1),
            "score": one_of(1.0, 0.5, 2.0, float("nan")),
        },
        session=False,
    ),
    "filters.filter_to_json": Recipe((_filter_value,), session=False),
    "results.and_then": Recipe((_result, _then), session=False),
    "results.collect": Recipe((_results,), session=False),
    "http.redact_headers": Recipe((_headers,), session=False, returns=tuple),
    "retry.parse_retry_after": Recipe((_retry_after,), session=False, returns=tuple),
    "retry.retry_after_seconds": Recipe(
        (_response,), session=False, returns=(float, int, type(None)), valid=_a_delay
    ),
    "retry.retry_delay": Recipe(
        (_policy, _outcome),
        {
            "attempts": one_of(0, 1, 2, 5, 10**4, -1),
            "random": one_of(0.0, 0.5, 0.999, 1.0, -1.0),
            "slept": one_of(0.0, 10.0, 1e308, float("inf")),
        },
        session=False,
        returns=(float, int, type(None)),
        valid=_a_delay,
    ),
    "retry.should_retry": Recipe(
        (_policy, one_of("GET", "POST", "patch", "HEAD", ""), _outcome),
        {"attempts": one_of(0, 1, 4, 5, 10**9), "idempotent": one_of(None, True, False)},
        session=False,
        returns=bool,
    ),
}
