"""Specs, patches and annotations from hypothesis: sent as CVAT's schema allows, or refused.

Every public function that takes a mapping (a spec, a patch, annotations, annotation ids,
data parameters) is found from its signature: a parameter annotated ``... | Mapping[str, ...]``.
Hypothesis feeds each one

- arbitrary mappings (unknown keys, keys that are not strings, values of every type including
  ones JSON cannot carry, deep nesting) and things that are not mappings at all;
- valid-looking mappings built from the write model's own fields and constraints, sometimes
  with one value replaced, one key removed or one unknown key added, at any depth;
- the write model itself.

The call goes to a fake CVAT (through the contract-validating transport) seeded with a project,
a task with images, its jobs, annotations, an issue, a comment, an organization and a second
user. There are exactly two acceptable outcomes:

- **sent**: requests reached the server, and every JSON body among them validates against the
  request schema of its operation in ``openapi-2.80.json`` with no field the schema does not
  declare (multipart form fields too);
- **refused**: ``Failure(InvalidInput)`` with nothing sent, whose ``field`` names the offending
  field: the path of the broken value when one was broken on purpose, otherwise a key that was
  given or a required field of the model.

``remove_annotations(ids=...)`` has one documented exception: it must read the annotations to
find the objects, so ids that are not there are ``InvalidInput(field="ids.<kind>")`` after that
one ``GET``, with nothing changed.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import json
import re
import reprlib
import types
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from returns.result import Failure, Success

import cvatfn
from cvatfn import _annotations, models
from cvatfn.errors import InvalidInput
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_fake import FakeServer
from tests.contract.openapi import Contract, ValidatingClockTransport, ValidatingTransport

from ._surface import public_functions

EXAMPLES = max(10, settings.default.max_examples // 5)
SHORT = reprlib.Repr()
SHORT.maxlevel, SHORT.maxstring, SHORT.maxother = 5, 60, 60

# ------------------------------------------------------------------------------ discovery


_STRICTER: dict[type, type] = {models.LabeledData: _annotations._LabeledDataRequest}  # pyright: ignore[reportPrivateUsage]
"""``LabeledData`` reads leniently; what the client checks before sending is this."""


def mapping_parameters() -> dict[str, type]:
    """``{"tasks.create:spec": TaskSpec, ...}``: every public parameter that takes a mapping."""
    found: dict[str, type] = {}
    for name, function in public_functions().items():
        for parameter in inspect.signature(function).parameters.values():
            annotation = str(parameter.annotation)
            if "Mapping[str," not in annotation:
                continue
            model_name = annotation.split("|", 1)[0].strip()
            model = getattr(models, model_name, None) or getattr(cvatfn, model_name)
            found[f"{name}:{parameter.name}"] = _STRICTER.get(model, model)
    return found


TARGETS = mapping_parameters()


# ------------------------------------------------------------------------------ the fake CVAT


class Recorder:
    """Passes requests on and keeps them; a virtual clock like the server it wraps."""

    def __init__(self, inner: ValidatingClockTransport) -> None:
        self.inner = inner
        self.sent: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return self.inner.handle(request)

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


@dataclasses.dataclass
class World:
    """The seeded fake CVAT and the ids in it."""

    server: FakeServer
    transport: ValidatingTransport
    recorder: Recorder
    session: cvatfn.Session
    folder: Path
    images: list[str]
    project: int
    task: int
    job: int
    label: int
    issue: int
    comment: int
    membership: int
    user: int
    shape: int


def _png(path: Path, size: tuple[int, int]) -> str:
    Image.new("RGB", size, (10, 20, 30)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("spec-fuzz")
    images = [_png(folder / "a.png", (8, 6)), _png(folder / "b.png", (6, 4))]
    server = FakeServer()
    transport = ValidatingTransport(server.transport())
    assert isinstance(transport, ValidatingClockTransport)
    recorder = Recorder(transport)
    session = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=recorder
    ).unwrap()
    project = cvatfn.projects.create(
        session, {"name": "p", "labels": [{"name": "cat"}, {"name": "dog"}]}
    ).unwrap()
    task = cvatfn.tasks.create_from_data(
        session, {"name": "t", "labels": [{"name": "car"}]}, resources=images
    ).unwrap()
    job = cvatfn.tasks.get_jobs(session, task).unwrap()[0]
    label = cvatfn.tasks.get_labels(session, task).unwrap()[0]
    shapes = {
        "shapes": [{"type": "rectangle", "frame": 0, "label_id": label.id, "points": [0, 0, 2, 2]}]
    }
    annotated = cvatfn.jobs.update_annotations(session, job, shapes, action="create").unwrap()
    issue = cvatfn.issues.create(
        session, {"job": job.id, "frame": 0, "position": [0, 0, 1, 1], "message": "look"}
    ).unwrap()
    comment = cvatfn.comments.create(session, {"issue": issue.id, "message": "hi"}).unwrap()
    server.add_user("worker", "worker-password")
    user = next(u for u in cvatfn.users.list(session).unwrap() if u.username == "worker")
    server.add_organization("lab", owner="admin")
    membership = server.add_membership("lab", "worker", "worker")
    yield World(
        server=server,
        transport=transport,
        recorder=recorder,
        session=session,
        folder=folder,
        images=images,
        project=project.id,
        task=task.id,
        job=job.id,
        label=label.id,
        issue=issue.id,
        comment=comment.id,
        membership=membership,
        user=user.id,
        shape=annotated.shapes[0].id,  # type: ignore[arg-type]
    )
    transport.assert_clean()


# ------------------------------------------------------------------------------ how to call


@dataclasses.dataclass(frozen=True)
class Call:
    """How to call one function with the fuzzed value.

    ``prepare`` runs before recording starts (to make a fresh task, say) and its result is
    passed to ``run``, which makes the call. ``draw`` may draw further arguments.
    """

    run: Callable[[World, Any, object, Any], object]
    prepare: Callable[[World], object] = lambda world: None


def _fresh_task(world: World) -> int:
    return cvatfn.tasks.create(world.session, {"name": "empty"}).unwrap().id


def _dataset(world: World) -> str:
    path = world.folder / "dataset.zip"
    if not path.exists():
        path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    return str(path)


ACTIONS = ("create", "update", "delete")


def _annotations(module: Any, owner: Callable[[World], int]) -> dict[str, Call]:
    name = module.__name__.removeprefix("cvatfn.")
    return {
        f"{name}.set_annotations:data": Call(
            lambda w, v, _, draw: module.set_annotations(w.session, owner(w), v)
        ),
        f"{name}.update_annotations:data": Call(
            lambda w, v, _, draw: module.update_annotations(
                w.session, owner(w), v, action=draw.action
            )
        ),
        f"{name}.remove_annotations:ids": Call(
            lambda w, v, _, draw: module.remove_annotations(w.session, owner(w), ids=v)
        ),
    }


CALLS: dict[str, Call] = {
    "tasks.create:spec": Call(lambda w, v, _, d: cvatfn.tasks.create(w.session, v)),
    "tasks.update:patch": Call(lambda w, v, _, d: cvatfn.tasks.update(w.session, w.task, v)),
    "tasks.create_from_data:spec": Call(
        lambda w, v, _, d: cvatfn.tasks.create_from_data(w.session, v, resources=w.images)
    ),
    "tasks.create_from_data:data_params": Call(
        lambda w, v, _, d: cvatfn.tasks.create_from_data(
            w.session, {"name": "with params"}, resources=w.images, data_params=v
        )
    ),
    "tasks.upload_data:data_params": Call(
        lambda w, v, task, d: cvatfn.tasks.upload_data(
            w.session, task, resources=w.images, data_params=v
        ),
        prepare=_fresh_task,
    ),
    **_annotations(cvatfn.tasks, lambda w: w.task),
    **_annotations(cvatfn.jobs, lambda w: w.job),
    "jobs.create:spec": Call(lambda w, v, _, d: cvatfn.jobs.create(w.session, v)),
    "jobs.update:patch": Call(lambda w, v, _, d: cvatfn.jobs.update(w.session, w.job, v)),
    "projects.create:spec": Call(lambda w, v, _, d: cvatfn.projects.create(w.session, v)),
    "projects.update:patch": Call(
        lambda w, v, _, d: cvatfn.projects.update(w.session, w.project, v)
    ),
    "projects.create_from_dataset:spec": Call(
        lambda w, v, path, d: cvatfn.projects.create_from_dataset(w.session, v, path),
        prepare=_dataset,
    ),
    "labels.update:patch": Call(lambda w, v, _, d: cvatfn.labels.update(w.session, w.label, v)),
    "issues.create:spec": Call(lambda w, v, _, d: cvatfn.issues.create(w.session, v)),
    "issues.update:patch": Call(lambda w, v, _, d: cvatfn.issues.update(w.session, w.issue, v)),
    "comments.create:spec": Call(lambda w, v, _, d: cvatfn.comments.create(w.session, v)),
    "comments.update:patch": Call(
        lambda w, v, _, d: cvatfn.comments.update(w.session, w.comment, v)
    ),
    "organizations.create:spec": Call(lambda w, v, _, d: cvatfn.organizations.create(w.session, v)),
    "organizations.update:patch": Call(
        lambda w, v, _, d: cvatfn.organizations.update(w.session, 1, v)
    ),
    "organizations.invite:spec": Call(
        lambda w, v, _, d: cvatfn.organizations.invite(w.session, "lab", v)
    ),
    "organizations.update_membership:patch": Call(
        lambda w, v, _, d: cvatfn.organizations.update_membership(w.session, w.membership, v)
    ),
    "users.update:patch": Call(lambda w, v, _, d: cvatfn.users.update(w.session, w.user, v)),
}


def test_every_mapping_parameter_is_fuzzed() -> None:
    missing = sorted(set(TARGETS) - set(CALLS))
    stale = sorted(set(CALLS) - set(TARGETS))
    assert not missing, f"parameters taking a mapping with no entry in CALLS: {missing}"
    assert not stale, f"CALLS entries for parameters that do not take a mapping: {stale}"


# ------------------------------------------------------------------------------ values


class Opaque:
    """Something JSON cannot carry."""

    def __repr__(self) -> str:
        return "Opaque()"


class ReadOnly(Mapping[str, object]):
    """A mapping that is not a dict."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnly({self._data!r})"


class Deep(list[object]):
    """A list nested thousands of levels deep, with a short repr."""

    def __init__(self, depth: int) -> None:
        value: object = 1
        for _ in range(depth - 1):
            value = [value]
        super().__init__([value])
        self.depth = depth

    def __repr__(self) -> str:
        return f"Deep({self.depth})"


_ODD_SCALARS: tuple[object, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**31,
    2**63,
    2**70,
    -(2**70),
    1.5,
    float("nan"),
    float("inf"),
    -0.0,
    "",
    "x",
    "é" * 3,
    "\x00",
    b"bytes",
    Decimal("1.1"),
    1 + 2j,
    datetime.date(2024, 1, 1),
    datetime.datetime(2024, 1, 1),
    models.JobStage.VALIDATION,
)

scalars: st.SearchStrategy[object] = (
    st.sampled_from(_ODD_SCALARS)
    | st.integers()
    | st.text(max_size=6)
    | st.integers(300, 5000).map(lambda n: "a" * n)
    | st.builds(Opaque)
    | st.sampled_from([Deep(3000), {1, 2}, frozenset({"a"}), (1, 2), []])
)
junk: st.SearchStrategy[object] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.tuples(children)
        | st.dictionaries(st.text(max_size=6), children, max_size=3)
        | st.dictionaries(st.sampled_from([1, None, ("k",), b"k"]), children, max_size=2)
        | st.dictionaries(st.text(max_size=6), children, max_size=3).map(ReadOnly)
    ),
    max_leaves=8,
)
not_a_mapping: st.SearchStrategy[object] = scalars | st.lists(junk, max_size=3) | st.tuples(junk)


def _valid(draw: st.DrawFn, kind: Any, depth: int = 0) -> object:
    """A value that fits the msgspec type ``kind`` (from :func:`msgspec.inspect.type_info`)."""
    if isinstance(kind, mi.IntType):
        low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else 0)
        high = kind.le if kind.le is not None else (kind.lt - 1 if kind.lt is not None else low + 9)
        return draw(st.integers(low, min(high, low + 9)) | st.just(high))
    if isinstance(kind, mi.FloatType):
        low = kind.ge if kind.ge is not None else 0.0
        high = kind.le if kind.le is not None else 1000.0
        return draw(st.floats(low, high, allow_nan=False))
    if isinstance(kind, mi.StrType):
        if kind.pattern is not None:
            strategy = st.from_regex(kind.pattern, fullmatch=True)
        else:
            strategy = st.text(min_size=kind.min_length or 0, max_size=12)
        high = kind.max_length if kind.max_length is not None else 12
        low = kind.min_length or 0
        return draw(strategy.filter(lambda s: low <= len(s) <= high))
    if isinstance(kind, mi.BoolType):
        return draw(st.booleans())
    if isinstance(kind, mi.LiteralType):
        return draw(st.sampled_from(kind.values))
    if isinstance(kind, mi.NoneType):
        return None
    if isinstance(kind, mi.UnionType):
        options = list(kind.types)
        return _valid(draw, draw(st.sampled_from(options)), depth)
    if isinstance(kind, mi.VarTupleType | mi.ListType):
        size = draw(st.integers(kind.min_length or 0, min(kind.max_length or 2, 2 - depth // 2)))
        return [_valid(draw, kind.item_type, depth + 1) for _ in range(max(0, size))]
    if isinstance(kind, mi.SetType | mi.FrozenSetType):
        return sorted(
            {_valid(draw, kind.item_type, depth + 1) for _ in range(draw(st.integers(0, 2)))}
        )  # type: ignore[type-var]
    if isinstance(kind, mi.StructType):
        return _valid_struct(draw, kind, depth)
    if isinstance(kind, mi.DictType):
        return draw(
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=2)
        )
    if isinstance(kind, mi.DateTimeType):
        return "2024-03-21T20:50:05Z"
    return draw(st.none() | st.integers() | st.text(max_size=4))


# Fields whose combination the client refuses on purpose, and fields that are not the
# caller's to give; left out of "valid" values (the junk strategies still try them).
_LEAVE_OUT = {
    "DataParams": {"server_files", "remote_files"},
}


def _valid_struct(draw: st.DrawFn, kind: mi.StructType, depth: int) -> dict[str, object]:
    out: dict[str, object] = {}
    skip = _LEAVE_OUT.get(kind.cls.__name__, set())
    for field in kind.fields:
        if field.name in skip:
            continue
        if field.required or (depth < 3 and draw(st.integers(0, 2)) == 0):
            out[field.encode_name] = _valid(draw, field.type, depth + 1)
    if kind.cls is models.TaskSpec and "project_id" in out and out.get("labels"):
        del out["labels"]  # a task in a project has the project's labels (InvalidInput)
    return out


Path_ = tuple[str | int, ...]


def _render(path: Path_) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text.removeprefix(".")


def _places(value: object, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _places(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _places(item, (*prefix, index))


def _containers(value: object, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        yield prefix
        for key, item in value.items():
            yield from _containers(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _containers(item, (*prefix, index))


def _at(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


@dataclasses.dataclass
class Fuzzed:
    value: object
    broken: str | None = None
    """The path of the part broken on purpose, if one was."""
    how: str = "valid"


@st.composite
def fuzzed(draw: st.DrawFn, model: type) -> Fuzzed:
    how = draw(
        st.sampled_from(
            ["junk", "not a mapping", "valid", "struct", "replaced", "removed", "unknown key"]
        )
    )
    if how == "junk":
        return Fuzzed(draw(st.dictionaries(st.text(max_size=8), junk, max_size=4)), how=how)
    if how == "not a mapping":
        return Fuzzed(draw(not_a_mapping), how=how)
    base = _valid_struct(draw, mi.type_info(model), 0)  # type: ignore[arg-type]
    if how == "struct":
        try:
            return Fuzzed(msgspec.convert(base, model), how=how)
        except msgspec.ValidationError:
            return Fuzzed(base, how="valid")
    if how == "valid":
        return Fuzzed(draw(st.sampled_from([base, ReadOnly(base)])), how=how)
    if how == "unknown key":
        where = draw(st.sampled_from(list(_containers(base))))
        key = draw(st.sampled_from(["nmae", "zz_unknown", "ID", "url"]))
        if key in _at(base, where):
            return Fuzzed(base, how="valid")
        _at(base, where)[key] = draw(junk)
        return Fuzzed(base, broken=_render((*where, key)), how=how)
    places = list(_places(base))
    if not places:
        return Fuzzed(base, how="valid")
    path = draw(st.sampled_from(places))
    parent = _at(base, path[:-1])
    if how == "removed" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        how = "replaced"
        parent[path[-1]] = draw(junk)
    return Fuzzed(base, broken=_render(path), how=how)


# ------------------------------------------------------------------------------ checks

CONTRACT = Contract.load(closed=True)
_FORM_NAME = re.compile(rb'Content-Disposition: form-data; name="([^"]+)"')


def _request_schema(request: HttpRequest, media: str) -> tuple[str, Any] | None:
    operation = CONTRACT.find_operation(request.method, request.url)
    if operation is None:
        return None
    content = operation.spec.get("requestBody", {}).get("content", {})
    schema = content.get(media, {}).get("schema")
    return (operation.operation_id, schema) if schema is not None else None


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = CONTRACT.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_problems(request: HttpRequest) -> list[str]:
    """What is wrong with the body of ``request`` by its operation's request schema."""
    media = (request.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if not request.body or media not in ("application/json", "multipart/form-data"):
        return []
    found = _request_schema(request, media)
    label = f"{request.method} {request.url}"
    if found is None:
        return [f"{label}: the contract has no {media} body for this operation"]
    operation_id, schema = found
    if media == "multipart/form-data":
        known = set(_resolve(schema).get("properties", {}))
        names = {re.sub(r"\[\d+\]$", "", n.decode()) for n in _FORM_NAME.findall(request.body)}
        return [f"{label} ({operation_id}): unknown form field {n!r}" for n in names - known]
    body = json.loads(request.body)
    return [f"{label} ({operation_id}): {p}" for p in CONTRACT.schema_errors(schema, body)]


def _roots(value: object) -> set[str]:
    if isinstance(value, msgspec.Struct):
        return set(value.__struct_fields__)
    return {str(key) for key in value} if isinstance(value, Mapping) else set()


def _relative(field: str, parameter: str) -> str:
    """``field`` without a leading ``parameter.`` (``ids.shapes`` is ``shapes``)."""
    if field.startswith(f"{parameter}."):
        return field.removeprefix(f"{parameter}.")
    if field.startswith(f"{parameter}["):
        return field.removeprefix(parameter)
    return field


def field_names_the_offence(field: str | None, fuzz: Fuzzed, model: type, parameter: str) -> bool:
    """Whether ``field`` names what is wrong with ``fuzz``: the parameter itself when it is not
    a mapping; the broken part (or inside it) when one was broken on purpose; else a key that
    was given (or inside it) or a required field of ``model``."""
    if not isinstance(fuzz.value, Mapping | msgspec.Struct):
        return field == parameter
    if field is None:
        return False
    if field == parameter:
        return True
    relative = _relative(field, parameter)
    if fuzz.broken is not None:
        broken = fuzz.broken
        return relative == broken or relative.startswith((f"{broken}.", f"{broken}["))
    required = {f.encode_name for f in mi.type_info(model).fields if f.required}  # type: ignore[attr-defined]
    names = _roots(fuzz.value) | required
    return any(relative == n or relative.startswith((f"{n}.", f"{n}[")) for n in names)


# ------------------------------------------------------------------------------ the property


@pytest.mark.parametrize("target", sorted(CALLS))
@settings(
    max_examples=EXAMPLES,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
@given(data=st.data())
def test_a_mapping_is_sent_as_the_schema_allows_or_refused_naming_the_field(
    target: str, world: World, data: st.DataObject
) -> None:
    name, parameter = target.split(":")
    model = TARGETS[target]
    call = CALLS[target]
    fuzz = data.draw(fuzzed(model), label="value")
    extra = types.SimpleNamespace(action=data.draw(st.sampled_from(ACTIONS), label="action"))
    if target.endswith("update_annotations:data") and extra.action != "create":
        _give_ids(fuzz.value, world.shape)
    context = call.prepare(world)
    world.recorder.sent.clear()
    violations = len(world.transport.violations)
    result = call.run(world, fuzz.value, context, extra)
    sent = list(world.recorder.sent)
    assert isinstance(result, Success | Failure), f"{name} returned {result!r}"
    error = result.failure() if isinstance(result, Failure) else None
    event(f"{fuzz.how}: {type(error).__name__ if error is not None else 'Success'}")
    assert world.transport.violations[violations:] == [], world.transport.report()
    if isinstance(error, InvalidInput):
        if name.endswith("remove_annotations") and sent:
            # Documented: the ids are looked up in the annotations read first.
            assert [r.method for r in sent] == ["GET"], sent
            kind = (error.field or "").removeprefix("ids.")
            assert kind in _roots(fuzz.value), f"InvalidInput({error.field!r}) for {fuzz.value!r}"
            return
        assert sent == [], f"InvalidInput({error.field!r}) after sending {sent}"
        assert field_names_the_offence(error.field, fuzz, model, parameter), (
            f"{name}({parameter}={SHORT.repr(fuzz.value)}) [{fuzz.how} at {fuzz.broken!r}]: "
            f"InvalidInput names {error.field!r}: {error.message}"
        )
        return
    removing_nothing = name.endswith("remove_annotations") and isinstance(result, Success)
    assert sent or removing_nothing, f"{name} returned {result!r} without sending anything"
    problems = [problem for request in sent for problem in body_problems(request)]
    assert problems == [], (
        f"{name}({parameter}={SHORT.repr(fuzz.value)}) sent what the schema does not allow:\n"
        + "\n".join(problems)
    )


def _give_ids(value: object, shape: int) -> None:
    """``update``/``delete`` find objects by id: give each top-level object one."""
    if not isinstance(value, dict):
        return
    for kind in ("shapes", "tracks", "tags", "intervals"):
        items = value.get(kind)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and item.get("id") is None:
                    item["id"] = shape
