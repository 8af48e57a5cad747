"""Labels: creation and patching for projects and tasks, and the ``/api/labels`` endpoints.

Theory of operation
-------------------
Labels belong either to a project or to a task without a project; a task inside a project
uses the project's labels. Skeleton labels own sublabels (``parent_id`` set), which lists
leave out unless asked for by ``parent_id``. :func:`create_labels` and :func:`update_labels`
implement CVAT's ``LabelSerializer`` semantics, used by project/task create and patch:
a label with an ``id`` is updated (``deleted: true`` removes it), a label without one is
created, attributes are matched by id or by name. Validation errors of nested labels are
reported the DRF way, as a list aligned with the input (``{"labels": [{}, {"name": [...]}]}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, render
from ._errors import ApiError, detail, invalid, non_field_error, not_found, permission_denied
from ._fields import Fields, as_dict, as_list, present
from ._iam import can_job, can_project, can_task, request_org, visible_project, visible_task
from ._listing import ListSpec, paginate
from ._state import Attribute, Label

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

LABEL_TYPES = (
    "any",
    "cuboid",
    "ellipse",
    "mask",
    "points",
    "polygon",
    "polyline",
    "rectangle",
    "skeleton",
    "interval",
    "tag",
)
INPUT_TYPES = ("checkbox", "radio", "number", "text", "select")
_PALETTE = (
    "#33ddff",
    "#fa3253",
    "#34d1b7",
    "#ff007c",
    "#ff6037",
    "#ddff33",
    "#24b353",
    "#b83df5",
    "#66ff66",
    "#32b7fa",
    "#ffcc33",
    "#83e070",
    "#fafa37",
    "#5986b3",
    "#8c78f0",
    "#ff6a4d",
    "#f078f0",
    "#2a7dd1",
    "#b25050",
    "#cc3366",
    "#cc9933",
    "#aaf0d1",
    "#ff00cc",
    "#3df53d",
)
LABEL_LIST = ListSpec(
    filter_fields=("color", "id", "name", "parent", "parent_id", "type"),
    search_fields=("name", "parent"),
    sort_fields=("color", "id", "name", "parent", "parent_id", "type"),
    simple_filters=("color", "name", "parent", "parent_id", "type"),
    default_sort="id",
    choices={"type": LABEL_TYPES},
)

Parent = tuple[str, int]
"""``("project", id)`` or ``("task", id)``."""


def attribute_json(attr: Attribute) -> dict[str, Any]:
    return {
        "id": attr.id,
        "name": attr.name,
        "mutable": attr.mutable,
        "input_type": attr.input_type,
        "default_value": attr.default_value,
        "values": list(attr.values),
    }


def children(srv: FakeServer, label: Label) -> list[Label]:
    return sorted(
        (lb for lb in srv.state.labels.values() if lb.parent_id == label.id), key=lambda lb: lb.id
    )


def label_json(srv: FakeServer, label: Label) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": label.id,
        "name": label.name,
        "color": label.color,
        "attributes": [attribute_json(a) for a in label.attributes],
        "type": label.type,
    }
    if label.type == "skeleton":
        result["svg"] = label.svg
    result["sublabels"] = [
        {
            "id": sub.id,
            "name": sub.name,
            "color": sub.color,
            "attributes": [attribute_json(a) for a in sub.attributes],
            "type": sub.type,
            "has_parent": True,
        }
        for sub in children(srv, label)
    ]
    if label.project_id is not None:
        result["project_id"] = label.project_id
    if label.task_id is not None:
        result["task_id"] = label.task_id
    result["parent_id"] = label.parent_id
    result["has_parent"] = label.parent_id is not None
    return result


def labels_of(srv: FakeServer, parent: Parent, *, top_level: bool = True) -> list[Label]:
    kind, pid = parent
    return sorted(
        (
            lb
            for lb in srv.state.labels.values()
            if (lb.project_id if kind == "project" else lb.task_id) == pid
            and (lb.parent_id is None or not top_level)
        ),
        key=lambda lb: lb.id,
    )


def _next_color(srv: FakeServer, parent: Parent, used: list[str]) -> str:
    taken = set(used) | {lb.color for lb in labels_of(srv, parent, top_level=False)}
    for color in _PALETTE:
        if color not in taken:
            return color
    return _PALETTE[len(taken) % len(_PALETTE)]


def _check_attributes(raw: Any, errors: dict[str, Any]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    raw_items = as_list(raw)
    if raw_items is None:
        errors["attributes"] = {
            "non_field_errors": [f'Expected a list of items but got type "{type(raw).__name__}".']
        }
        return []
    result: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    failed = False
    for raw_item in raw_items:
        item = as_dict(raw_item)
        if item is None:
            nested.append(
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}
            )
            failed = True
            continue
        fields = Fields(item, partial=False)
        attr_id = fields.integer("id")
        name = fields.string("name", required=True, max_length=64)
        mutable = fields.boolean("mutable", required=True)
        input_type = fields.choice("input_type", INPUT_TYPES, required=True)
        values = fields.array("values", required=True)
        default = fields.string("default_value", max_length=128, blank=True)
        deleted = fields.boolean("deleted")
        nested.append(fields.errors)
        failed = failed or bool(fields.errors)
        result.append(
            {
                "id": attr_id if present(attr_id) else None,
                "name": name,
                "mutable": mutable,
                "input_type": input_type,
                "values": [str(v) for v in cast(list[Any], values)] if present(values) else [],
                "default_value": default if present(default) else None,
                "deleted": deleted if present(deleted) else False,
            }
        )
    if failed:
        errors["attributes"] = nested
    names = [a["name"] for a in result]
    for name in names:
        if names.count(name) > 1:
            raise ApiError(400, [f"Duplicate attribute with name '{name}' exists"])
    return result


def validate_labels(raw: Any, *, partial: bool) -> list[dict[str, Any]]:
    """Validate a ``labels`` list (raises the nested DRF error structure)."""
    raw_items = as_list(raw)
    if raw_items is None:
        raise ApiError(
            400,
            {
                "labels": {
                    "non_field_errors": [
                        f'Expected a list of items but got type "{type(raw).__name__}".'
                    ]
                }
            },
        )
    result: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    for raw_item in raw_items:
        item = as_dict(raw_item)
        if item is None:
            raise ApiError(
                400, {"labels": [{"non_field_errors": ["Invalid data. Expected a dictionary."]}]}
            )
        fields = Fields(item, partial=partial)
        label_id = fields.integer("id")
        name = fields.string("name", required=True, max_length=64)
        color = fields.string("color", blank=True)
        label_type = fields.choice("type", LABEL_TYPES)
        deleted = fields.boolean("deleted")
        svg = fields.string("svg", blank=True)
        attributes = _check_attributes(item.get("attributes", []), fields.errors)
        sublabels_raw: Any = item.get("sublabels", [])
        sublabels: list[dict[str, Any]] = []
        if sublabels_raw:
            try:
                sublabels = validate_labels(sublabels_raw, partial=False)
            except ApiError as exc:
                body = as_dict(exc.body)
                if body is None or "labels" not in body:
                    raise
                fields.errors["sublabels"] = body["labels"]
        if present(deleted) and deleted and not present(label_id):
            fields.errors.setdefault("non_field_errors", []).append("Deleted label must have an ID")
        nested.append(fields.errors)
        result.append(
            {
                "id": label_id if present(label_id) else None,
                "name": name if present(name) else None,
                "color": color if present(color) else None,
                "type": label_type if present(label_type) else None,
                "deleted": bool(deleted) if present(deleted) else False,
                "svg": svg if present(svg) else "",
                "attributes": attributes,
                "sublabels": sublabels,
            }
        )
    if any(nested):
        raise ApiError(400, {"labels": nested})
    return result


def _unique_check(
    srv: FakeServer, parent: Parent, parent_label: int | None, name: str, exclude: int | None
) -> None:
    for label in labels_of(srv, parent, top_level=False):
        if label.parent_id == parent_label and label.name == name and label.id != exclude:
            raise invalid("All label names must be unique")


def _make_attribute(srv: FakeServer, spec: dict[str, Any]) -> Attribute:
    return Attribute(
        id=srv.state.next_id("attribute"),
        name=spec["name"],
        mutable=spec["mutable"],
        input_type=spec["input_type"],
        default_value=spec["default_value"]
        if spec["default_value"] is not None
        else (spec["values"][0] if spec["values"] else ""),
        values=spec["values"],
    )


def create_labels(
    srv: FakeServer, specs: list[dict[str, Any]], parent: Parent, parent_label: int | None = None
) -> None:
    """Create labels (and sublabels) for ``parent``; the specs come from :func:`validate_labels`."""
    used: list[str] = []
    kind, pid = parent
    for spec in specs:
        _unique_check(srv, parent, parent_label, spec["name"], None)
        color = spec["color"] or _next_color(srv, parent, used)
        used.append(color)
        label = Label(
            id=srv.state.next_id("label"),
            name=spec["name"],
            color=color,
            type=spec["type"] or "any",
            attributes=[_make_attribute(srv, a) for a in spec["attributes"]],
            project_id=pid if kind == "project" else None,
            task_id=pid if kind == "task" else None,
            parent_id=parent_label,
        )
        srv.state.labels[label.id] = label
        create_labels(srv, spec["sublabels"], parent, label.id)
        if label.type == "skeleton":
            svg = spec["svg"]
            for sub in children(srv, label):
                svg = svg.replace(f'data-label-name="{sub.name}"', f'data-label-id="{sub.id}"')
            label.svg = svg


def delete_label(srv: FakeServer, label: Label) -> None:
    from ._annotations import purge_labels

    for sub in children(srv, label):
        delete_label(srv, sub)
    srv.state.labels.pop(label.id, None)
    purge_labels(srv, {label.id})


def update_labels(
    srv: FakeServer, specs: list[dict[str, Any]], parent: Parent, parent_label: int | None = None
) -> None:
    """Apply a label patch list to ``parent`` (CVAT's ``LabelSerializer.update_labels``)."""
    kind, pid = parent
    for spec in specs:
        if spec["id"] is not None:
            label = srv.state.labels.get(spec["id"])
            owner = (
                None
                if label is None
                else (label.project_id if kind == "project" else label.task_id)
            )
            if label is None or owner != pid:
                raise detail(404, "Not found label with id #{} to change".format(spec["id"]))
            new_type = spec["type"] or label.type
            if "skeleton" not in (label.type, new_type):
                label.type = new_type
            if spec["name"]:
                _unique_check(srv, parent, label.parent_id, spec["name"], label.id)
                label.name = spec["name"]
        else:
            if not spec["name"]:
                raise ApiError(400, {"labels": [{"name": ["This field is required."]}]})
            _unique_check(srv, parent, parent_label, spec["name"], None)
            label = Label(
                id=srv.state.next_id("label"),
                name=spec["name"],
                color="",
                type=spec["type"] or "any",
                attributes=[],
                project_id=pid if kind == "project" else None,
                task_id=pid if kind == "task" else None,
                parent_id=parent_label,
            )
            srv.state.labels[label.id] = label
            update_labels(srv, spec["sublabels"], parent, label.id)
            if label.type == "skeleton":
                svg = spec["svg"]
                for sub in children(srv, label):
                    svg = svg.replace(f'data-label-name="{sub.name}"', f'data-label-id="{sub.id}"')
                label.svg = svg
        if spec["deleted"]:
            delete_label(srv, label)
            continue
        label.color = spec["color"] or (label.color or _next_color(srv, parent, []))
        for attr_spec in spec["attributes"]:
            existing: Attribute | None
            if attr_spec["id"] is not None:
                existing = next((a for a in label.attributes if a.id == attr_spec["id"]), None)
                if existing is None:
                    raise detail(
                        404, "Attribute with id #{} does not exist".format(attr_spec["id"])
                    )
            else:
                existing = next((a for a in label.attributes if a.name == attr_spec["name"]), None)
            if existing is None:
                label.attributes.append(_make_attribute(srv, attr_spec))
                continue
            if attr_spec.get("deleted"):
                from ._annotations import purge_attributes

                label.attributes.remove(existing)
                purge_attributes(srv, {existing.id})
                continue
            existing.name = attr_spec["name"] or existing.name
            if attr_spec["default_value"] is not None:
                existing.default_value = attr_spec["default_value"]
            existing.mutable = attr_spec["mutable"]
            existing.input_type = attr_spec["input_type"]
            existing.values = attr_spec["values"]


# --------------------------------------------------------------------------- endpoints
def label_parent(srv: FakeServer, label: Label) -> tuple[str, Any]:
    if label.project_id is not None:
        return "project", srv.state.projects[label.project_id]
    assert label.task_id is not None
    return "task", srv.state.tasks[label.task_id]


def _can(srv: FakeServer, ctx: Ctx, label: Label, scope: str) -> bool:
    user = require_user(ctx)
    kind, parent = label_parent(srv, label)
    return (
        can_project(srv, user, parent, scope)
        if kind == "project"
        else can_task(srv, user, parent, scope)
    )


def _value(srv: FakeServer, label: Label, name: str) -> Any:
    if name == "parent":
        parent = srv.state.labels.get(label.parent_id) if label.parent_id is not None else None
        return parent.name if parent is not None else None
    return getattr(label, name)


def list_labels(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    ids = {k: ctx.q(k) for k in ("job_id", "task_id", "project_id") if ctx.q(k) is not None}
    if len(ids) > 1:
        raise invalid("job_id, task_id and project_id parameters cannot be used together")
    top_level = ctx.q("parent_id") is None and ctx.q("parent") is None
    items: list[Label]
    try:
        number = int(next(iter(ids.values())) or "") if ids else 0
    except ValueError:
        raise ApiError(400, {next(iter(ids)): ["Enter a number."]}) from None
    if "job_id" in ids:
        job = srv.state.jobs.get(number)
        if job is None:
            raise not_found("Job")
        if not can_job(srv, user, job, "view"):
            raise permission_denied()
        task = srv.state.tasks[job.task_id]
        parent: Parent = (
            ("project", task.project_id) if task.project_id is not None else ("task", task.id)
        )
        items = labels_of(srv, parent, top_level=top_level)
    elif "task_id" in ids:
        found = srv.state.tasks.get(number)
        if found is None:
            raise not_found("Task")
        task = found
        if not can_task(srv, user, task, "view"):
            raise permission_denied()
        parent = ("project", task.project_id) if task.project_id is not None else ("task", task.id)
        items = labels_of(srv, parent, top_level=top_level)
    elif "project_id" in ids:
        project = srv.state.projects.get(number)
        if project is None:
            raise not_found("Project")
        if not can_project(srv, user, project, "view"):
            raise permission_denied()
        items = labels_of(srv, ("project", project.id), top_level=top_level)
    else:
        scope = request_org(ctx)
        items = []
        for label in sorted(srv.state.labels.values(), key=lambda lb: lb.id):
            if top_level and label.parent_id is not None:
                continue
            kind, owner = label_parent(srv, label)
            visible = (
                visible_project(srv, user, scope, owner)
                if kind == "project"
                else visible_task(srv, user, scope, owner)
            )
            if visible:
                items.append(label)
    return paginate(
        ctx, LABEL_LIST, items, lambda lb, n: _value(srv, lb, n), lambda lb: label_json(srv, lb)
    )


def _get_label(srv: FakeServer, ctx: Ctx, label_id: str, scope: str) -> Label:
    label = srv.state.labels.get(int(label_id))
    if label is None:
        raise not_found("Label")
    if not _can(srv, ctx, label, scope):
        raise permission_denied()
    return label


def retrieve_label(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, label_json(srv, _get_label(srv, ctx, id, "view")))


def update_label(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    label = _get_label(srv, ctx, id, "update:desc")
    data = dict(ctx.data())
    if data.get("deleted"):
        raise non_field_error(
            "Labels cannot be deleted by updating in this endpoint. "
            "Please use the DELETE method instead."
        )
    data["id"] = label.id
    data.setdefault("name", label.name)
    specs = validate_labels([data], partial=True)
    kind, owner = label_parent(srv, label)
    update_labels(srv, specs, (kind, owner.id), label.parent_id)
    owner.updated = srv.now()
    return render(ctx, 200, label_json(srv, label))


def destroy_label(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    label = _get_label(srv, ctx, id, "update:desc")
    _, owner = label_parent(srv, label)
    delete_label(srv, label)
    owner.updated = srv.now()
    return render(ctx, 204, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/labels", list_labels)
    router.add("GET", r"/api/labels/(?P<id>\d+)", retrieve_label)
    router.add("PATCH", r"/api/labels/(?P<id>\d+)", update_label)
    router.add("DELETE", r"/api/labels/(?P<id>\d+)", destroy_label)
