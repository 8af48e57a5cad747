"""The contract validator itself: it accepts CVAT's real responses and rejects broken ones."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from cvatfn.http import HttpRequest, HttpResponse, TransportError, VirtualClock
from tests.contract.openapi import (
    CONTRACT_DIR,
    CONTRACT_PATH,
    Contract,
    ValidatingClockTransport,
    ValidatingTransport,
    convert_schema,
)

ASSETS = CONTRACT_DIR / "assets"
CVAT_JSON = (("Content-Type", "application/vnd.cvat+json"),)

LIST_PAGES = {
    "tasks.json": ("/api/tasks", "tasks_list"),
    "projects.json": ("/api/projects", "projects_list"),
    "jobs.json": ("/api/jobs", "jobs_list"),
    "users.json": ("/api/users", "users_list"),
    "labels.json": ("/api/labels", "labels_list"),
    "issues.json": ("/api/issues", "issues_list"),
    "comments.json": ("/api/comments", "comments_list"),
    "organizations.json": ("/api/organizations", "organizations_list"),
    "memberships.json": ("/api/memberships", "memberships_list"),
    "invitations.json": ("/api/invitations", "invitations_list"),
    "cloudstorages.json": ("/api/cloudstorages", "cloudstorages_list"),
    "webhooks.json": ("/api/webhooks", "webhooks_list"),
    "quality_settings.json": ("/api/quality/settings", "quality_list_settings"),
}

# The list page, then where one of its items is retrieved on its own.
ITEM_PATHS = {
    "tasks.json": "/api/tasks/{id}",
    "projects.json": "/api/projects/{id}",
    "jobs.json": "/api/jobs/{id}",
    "users.json": "/api/users/{id}",
    "labels.json": "/api/labels/{id}",
    "issues.json": "/api/issues/{id}",
    "comments.json": "/api/comments/{id}",
    "organizations.json": "/api/organizations/{id}",
    "memberships.json": "/api/memberships/{id}",
    "invitations.json": "/api/invitations/{key}",
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


def load_page(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    return data


def exchange(
    method: str, path: str, status: int, body: Any = None, content_type: str | None = None
) -> tuple[HttpRequest, HttpResponse]:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = CVAT_JSON if content_type is None else (("Content-Type", content_type),)
    return (
        HttpRequest(method, f"http://localhost:8080{path}"),
        HttpResponse(status, headers if raw else (), raw),
    )


def violations(
    contract: Contract, method: str, path: str, status: int, body: Any = None
) -> list[str]:
    return contract.validate(*exchange(method, path, status, body))


# ---------------------------------------------------------------------------- real responses


def test_contract_is_found_next_to_the_repository() -> None:
    assert CONTRACT_PATH.is_file(), f"the contract should be at {CONTRACT_PATH}"
    assert Contract.load() is Contract.load()
    assert Contract.load() is not Contract.load(closed=True)


@pytest.mark.parametrize("name", sorted(LIST_PAGES))
def test_real_list_page_validates(contract: Contract, name: str) -> None:
    path, operation_id = LIST_PAGES[name]
    page = load_page(name)
    assert page["results"], "a list page with results, or the test proves little"
    op = contract.find_operation("GET", path)
    assert op is not None
    assert op.operation_id == operation_id
    assert violations(contract, "GET", path, 200, page) == []
    assert violations(contract, "GET", path + "/?page=2&page_size=10", 200, page) == []


@pytest.mark.parametrize("name", sorted(ITEM_PATHS))
def test_real_items_validate_as_retrieve_responses(contract: Contract, name: str) -> None:
    for item in load_page(name)["results"]:
        key = item.get("id", item.get("key"))
        path = ITEM_PATHS[name].format(id=key, key=key)
        assert contract.find_operation("GET", path) is not None, path
        assert violations(contract, "GET", path, 200, item) == []


def test_nullable_refs_accept_null(contract: Contract) -> None:
    """The ``allOf: [$ref] + nullable`` shape that ``OAS30Validator`` gets wrong."""
    page = load_page("tasks.json")
    for task in page["results"]:
        task["assignee"] = None
        task["owner"] = None
        task["source_storage"] = None
        task["target_storage"] = None
    assert violations(contract, "GET", "/api/tasks", 200, page) == []


# ---------------------------------------------------------------------------- mutations


MUTATIONS: list[tuple[str, str, Any, str]] = [
    # (asset, field of results[1], new value or DELETE, expected message fragment)
    ("tasks.json", "jobs", "many", r"results\[1\]\.jobs: 'many' is not of type 'object'"),
    ("tasks.json", "labels", "DELETE", r"results\[1\]: 'labels' is a required property"),
    ("tasks.json", "id", None, r"results\[1\]\.id: None is not of type 'integer'"),
    ("tasks.json", "created_date", "yesterday", r"results\[1\]\.created_date: .* 'date-time'"),
    ("tasks.json", "status", "bogus", r"results\[1\]\.status: 'bogus' is not one of"),
    ("projects.json", "tasks", [1, 2], r"results\[1\]\.tasks: \[1, 2\] is not of type 'object'"),
    ("projects.json", "labels", "DELETE", r"results\[1\]: 'labels' is a required property"),
    ("jobs.json", "issues", "DELETE", r"results\[1\]: 'issues' is a required property"),
    ("jobs.json", "task_id", "7", r"results\[1\]\.task_id: '7' is not of type 'integer'"),
    ("jobs.json", "stage", "done", r"results\[1\]\.stage: 'done' is not one of"),
    ("users.json", "username", None, r"results\[1\]\.username: None is not of type 'string'"),
    ("labels.json", "name", 5, r"results\[1\]\.name: 5 is not of type 'string'"),
    ("issues.json", "frame", None, r"results\[1\]\.frame: None is not of type 'integer'"),
    ("comments.json", "message", False, r"results\[1\]\.message: False is not of type 'string'"),
    ("memberships.json", "role", "king", r"results\[1\]\.role: 'king' is not one of"),
    ("invitations.json", "role", None, r"results\[1\]\.role: None is not one of"),
]


@pytest.mark.parametrize(("name", "field", "value", "expected"), MUTATIONS)
def test_mutated_page_is_reported(
    contract: Contract, name: str, field: str, value: Any, expected: str
) -> None:
    path, _ = LIST_PAGES[name]
    page = load_page(name)
    if value == "DELETE":
        assert field in page["results"][1], "the mutation must change something"
        del page["results"][1][field]
    else:
        page["results"][1][field] = value
    found = violations(contract, "GET", path, 200, page)
    assert found, "the mutation was not reported"
    assert any(re.search(expected, v) for v in found), found
    for v in found:  # every message is about the mutated field, nothing else
        assert v.startswith(f"GET {path} -> 200 ({LIST_PAGES[name][1]}): results[1]"), v


def test_wrong_field_inside_a_nullable_ref_is_named(contract: Contract) -> None:
    page = load_page("tasks.json")
    page["results"][0]["owner"] = {"id": "x", "username": "u"}
    page["results"][0]["target_storage"] = {"location": "moon"}
    assert violations(contract, "GET", "/api/tasks", 200, page) == [
        "GET /api/tasks -> 200 (tasks_list): results[0].owner.id: 'x' is not of type 'integer'",
        "GET /api/tasks -> 200 (tasks_list): results[0].target_storage.location: "
        "'moon' is not one of ['cloud_storage', 'local']",
    ]


def test_page_fields_are_checked(contract: Contract) -> None:
    page = load_page("users.json")
    del page["count"]
    page["next"] = 3
    found = violations(contract, "GET", "/api/users", 200, page)
    assert any("'count' is a required property" in v for v in found)
    assert any("next: 3 is not of type 'string', 'null'" in v for v in found)


def test_partial_bodies_are_checked_for_types_required_fields_and_nullables(
    contract: Contract,
) -> None:
    """The cases tests/fake's own validator (now folded into this one) used to check."""
    assert violations(
        contract,
        "GET",
        "/api/tasks/1",
        200,
        {"jobs": {"completed": 0, "validation": 0}, "labels": {}, "id": "one"},
    ) == ["GET /api/tasks/1 -> 200 (tasks_retrieve): id: 'one' is not of type 'integer'"]
    found = violations(
        contract,
        "GET",
        "/api/server/about",
        200,
        {"name": "x", "description": "y", "version": "2.80.0"},
    )
    assert [v.rsplit(": ", 1)[1] for v in found] == [
        "'logo_url' is a required property",
        "'subtitle' is a required property",
    ]
    # a nullable integer nested in an inline object, and a nullable $ref
    body = {"jobs": {"completed": None, "validation": 0}, "labels": {}, "assignee": None}
    assert violations(contract, "GET", "/api/tasks/1", 200, body) == []


def test_closed_contract_rejects_undeclared_fields() -> None:
    page = load_page("tasks.json")
    page["results"][0]["invented_by_the_fake"] = 1
    assert violations(Contract.load(), "GET", "/api/tasks", 200, page) == []
    found = violations(Contract.load(closed=True), "GET", "/api/tasks", 200, page)
    assert len(found) == 1
    assert "results[0]" in found[0]
    assert "'invented_by_the_fake' was unexpected" in found[0]


def test_errors_per_body_are_capped(contract: Contract) -> None:
    page = load_page("tasks.json")
    for task in page["results"]:
        task["id"] = "x"
        task["name"] = 1
    found = violations(contract, "GET", "/api/tasks", 200, page)
    assert len(found) == 21
    assert found[-1].endswith("more")


# ---------------------------------------------------------------------------- operations


def test_unknown_path_is_reported(contract: Contract) -> None:
    assert contract.find_operation("GET", "/api/nonsense") is None
    assert violations(contract, "GET", "/api/nonsense", 200, {}) == [
        "GET /api/nonsense -> 200: no path of the contract matches '/api/nonsense'"
    ]
    # Even a 404 for it is reported: the client should not have asked.
    assert len(violations(contract, "GET", "/api/nonsense/1", 404, {"detail": "x"})) == 1


def test_unknown_method_is_reported(contract: Contract) -> None:
    assert violations(contract, "PUT", "/api/tasks/1", 200, {}) == [
        "PUT /api/tasks/1 -> 200: PUT is not an operation of /api/tasks/{id} "
        "(it has DELETE, GET, PATCH)"
    ]


def test_delete_204_without_body_passes(contract: Contract) -> None:
    assert violations(contract, "DELETE", "/api/tasks/1", 204) == []
    assert violations(contract, "DELETE", "/api/tasks/1/annotations/", 204) == []
    assert violations(contract, "DELETE", "/api/tasks/1/annotations", 204) == []
    found = violations(contract, "DELETE", "/api/tasks/1", 204, {"detail": "gone"})
    assert found == ["DELETE /api/tasks/1 -> 204 (tasks_destroy): a 204 must have no body"]


def test_undeclared_2xx_is_reported_with_the_declared_ones(contract: Contract) -> None:
    task = load_page("tasks.json")["results"][0]
    found = violations(contract, "POST", "/api/tasks", 200, task)
    assert len(found) == 1
    assert "status 200 is not declared for tasks_create (declared: 201;" in found[0]
    assert violations(contract, "POST", "/api/tasks", 201, task) == []
    # Both declared codes of POST .../annotations/ are accepted.
    assert violations(contract, "POST", "/api/tasks/1/annotations/", 201) == []
    assert violations(contract, "POST", "/api/tasks/1/annotations/", 202, {"rq_id": "r"}) == []


def test_error_responses_are_not_schema_checked(contract: Contract) -> None:
    assert violations(contract, "GET", "/api/tasks/1", 404, {"detail": "Not found."}) == []
    assert violations(contract, "POST", "/api/tasks", 400, {"name": ["required"]}) == []
    assert violations(contract, "GET", "/api/tasks/1", 500, b"<html>oops</html>") == []


def test_declared_json_body_must_be_json(contract: Contract) -> None:
    request, _ = exchange("GET", "/api/tasks/1", 200)
    assert contract.validate(request, HttpResponse(200)) == [
        "GET /api/tasks/1 -> 200 (tasks_retrieve): "
        "the contract declares a JSON body but the response has none"
    ]
    html = HttpResponse(200, (("Content-Type", "text/html"),), b"<html></html>")
    assert "Content-Type is 'text/html'" in contract.validate(request, html)[0]
    broken = HttpResponse(200, CVAT_JSON, b"{not json")
    assert "not valid JSON" in contract.validate(request, broken)[0]
    plain_json = HttpResponse(
        200, (("Content-Type", "application/json; charset=utf-8"),), json.dumps({"id": 1}).encode()
    )
    assert any("'jobs' is a required property" in v for v in contract.validate(request, plain_json))


def test_binary_bodies_are_skipped(contract: Contract) -> None:
    jpeg = b"\xff\xd8\xff\xe0 not json"
    for path in ("/api/tasks/1/preview", "/api/tasks/1/data/?type=chunk&number=0"):
        request = HttpRequest("GET", f"http://h{path}")
        response = HttpResponse(200, (("Content-Type", "image/jpeg"),), jpeg)
        assert contract.validate(request, response) == []


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", "/api/tasks", "tasks_list"),
        ("GET", "/api/tasks/", "tasks_list"),
        ("GET", "http://h:8080/api/tasks/12?org=", "tasks_retrieve"),
        ("GET", "/api/tasks/12/", "tasks_retrieve"),
        ("POST", "/api/tasks/12/data/", "tasks_create_data"),
        ("POST", "/api/tasks/12/data", "tasks_create_data"),
        ("GET", "/api/tasks/12/data/meta", "tasks_retrieve_data_meta"),
        ("POST", "/api/tasks/backup/", "tasks_create_backup"),
        ("POST", "/api/tasks/backup", "tasks_create_backup"),
        ("GET", "/api/users/self", "users_retrieve_self"),
        ("GET", "/api/users/3", "users_retrieve"),
        ("GET", "/api/webhooks/events", "webhooks_retrieve_events"),
        ("GET", "/api/auth/access_tokens/self", "auth_retrieve_access_tokens_self"),
        ("GET", "/api/quality/settings/requirements", "quality_list_settings_requirements"),
        ("GET", "/api/quality/settings/4", "quality_retrieve_settings"),
        ("get", "/api/invitations/AbC123/", "invitations_retrieve"),
        ("GET", "/api/requests/rq-abc:1", "requests_retrieve"),
    ],
)
def test_find_operation(contract: Contract, method: str, path: str, operation_id: str) -> None:
    op = contract.find_operation(method, path)
    assert op is not None
    assert op.operation_id == operation_id


@pytest.mark.parametrize(
    "path", ["/api/tasks/abc", "/api/tasks/1/2", "/api/taskss", "/tasks", "/", "/api/tasks/-1"]
)
def test_find_operation_rejects(contract: Contract, path: str) -> None:
    assert contract.find_operation("GET", path) is None


def test_every_operation_is_found_through_its_own_template(contract: Contract) -> None:
    assert len(contract.operations) == 166
    for op in contract.operations.values():
        path = re.sub(r"\{\w+\}", "7", op.path)
        found = contract.find_operation(op.method, path)
        assert found is not None, op
        assert found.operation_id == op.operation_id


def test_convert_schema_handles_nullable() -> None:
    assert convert_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert convert_schema({"enum": ["a"], "type": "string", "nullable": True}) == {
        "enum": ["a", None],
        "type": ["string", "null"],
    }
    assert convert_schema({"enum": [None], "nullable": True}) == {"enum": [None]}
    assert convert_schema({"oneOf": [{"type": "integer"}], "nullable": True}) == {
        "anyOf": [{"type": "null"}, {"oneOf": [{"type": "integer"}]}]
    }
    converted = convert_schema({"properties": {"nullable": {"type": "integer"}}, "type": "object"})
    assert converted == {"properties": {"nullable": {"type": "integer"}}, "type": "object"}


# ---------------------------------------------------------------------------- ValidatingTransport


class Canned:
    def __init__(self, *responses: HttpResponse) -> None:
        self.responses = list(responses)
        self.seen: list[HttpRequest] = []
        self.closed = False

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        if not self.responses:
            raise TransportError("connect", "nothing left", url=request.url)
        return self.responses.pop(0)

    def close(self) -> None:
        self.closed = True


class CannedWithClock(Canned):
    def __init__(self, *responses: HttpResponse) -> None:
        super().__init__(*responses)
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_validating_transport_records(contract: Contract) -> None:
    page = load_page("tasks.json")
    bad = copy.deepcopy(page)
    bad["results"][0]["id"] = None
    inner = Canned(
        HttpResponse(200, CVAT_JSON, json.dumps(page).encode()),
        HttpResponse(200, CVAT_JSON, json.dumps(bad).encode()),
        HttpResponse(204),
        HttpResponse(404, CVAT_JSON, b'{"detail": "Not found."}'),
        HttpResponse(200, CVAT_JSON, b"{}"),
    )
    transport = ValidatingTransport(inner, contract)
    requests = [
        HttpRequest("GET", "http://h/api/tasks", (("Authorization", "Token s3cret"),)),
        HttpRequest("GET", "http://h/api/tasks?page=2"),
        HttpRequest("DELETE", "http://h/api/tasks/1"),
        HttpRequest("GET", "http://h/api/tasks/1"),
        HttpRequest("GET", "http://h/api/bogus"),
    ]
    responses = [transport.handle(r) for r in requests]
    assert [r.status for r in responses] == [200, 200, 204, 404, 200]
    assert inner.seen == requests
    assert transport.operations == {"tasks_list", "tasks_destroy", "tasks_retrieve"}
    assert (transport.count_2xx, transport.count_4xx, transport.count_5xx) == (4, 1, 0)
    assert transport.exchanges == 5
    assert transport.error_responses == [(repr(requests[3]), "tasks_retrieve", 404)]
    assert [message for _, message in transport.violations] == [
        "GET /api/tasks -> 200 (tasks_list): results[0].id: None is not of type 'integer'",
        "GET /api/bogus -> 200: no path of the contract matches '/api/bogus'",
    ]
    assert transport.violations[0][0] == repr(requests[1])
    assert "s3cret" not in transport.report()
    assert str(transport.coverage()) == "exercised 3 of 166 operations (2%)"
    with pytest.raises(AssertionError, match="2 contract violations"):
        transport.assert_clean()
    with pytest.raises(TransportError):
        transport.handle(HttpRequest("GET", "http://h/api/tasks"))
    transport.close()
    assert inner.closed


def test_validating_transport_is_a_clock_only_when_the_inner_one_is(contract: Contract) -> None:
    plain = ValidatingTransport(Canned(), contract)
    assert type(plain) is ValidatingTransport
    assert not isinstance(plain, VirtualClock)

    inner = CannedWithClock(HttpResponse(204))
    clocked = ValidatingTransport(inner, contract)
    assert isinstance(clocked, ValidatingClockTransport)
    assert isinstance(clocked, VirtualClock)
    assert clocked.monotonic() == 100.0
    clocked.sleep(2.5)
    assert inner.now == 102.5
    assert clocked.monotonic() == 102.5
    clocked.handle(HttpRequest("DELETE", "http://h/api/jobs/3"))
    clocked.assert_clean()
    assert clocked.operations == {"jobs_destroy"}


def test_validating_transport_defaults_to_the_shared_contract() -> None:
    assert ValidatingTransport(Canned()).contract is Contract.load()
