from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_fake import FakeServer, serve
from tests.contract.openapi import ValidatingTransport

pytestmark = pytest.mark.http


def test_serve_over_http_with_urllib() -> None:
    with serve(FakeServer()) as handle:
        with urllib.request.urlopen(handle.url + "/api/server/about") as response:
            assert response.status == 200
            assert json.loads(response.read())["version"] == "2.80.0"
        login = urllib.request.Request(
            handle.url + "/api/auth/login",
            data=json.dumps({"username": "admin", "password": "admin"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login) as response:
            cookies = response.headers.get_all("Set-Cookie")
            assert any(c.startswith("sessionid=") for c in cookies)
        page = urllib.request.Request(
            handle.url + "/api/users?page_size=1",
            headers={"Authorization": "Basic YWRtaW46YWRtaW4="},
        )
        with urllib.request.urlopen(page) as response:
            body = json.loads(response.read())
        assert body["results"][0]["url"] == f"{handle.url}/api/users/1"
        head = urllib.request.Request(handle.url + "/api/server/about", method="HEAD")
        with urllib.request.urlopen(head) as response:
            assert response.read() == b"" and int(response.headers["Content-Length"]) > 0


def test_one_content_length_per_answer_over_http() -> None:
    """GET and HEAD of JSON, a downloaded file and an error page, a 204: each answer has one
    Content-Length; HEAD's is the GET body's length, with no body on the wire."""
    server = FakeServer()
    auth = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    api = server.transport()
    created = api.handle(
        HttpRequest(
            "POST",
            "http://cvat/api/projects",
            (*auth.items(), ("Content-Type", "application/json")),
            json.dumps({"name": "p", "labels": [{"name": "a"}]}).encode(),
        )
    )
    project = json.loads(created.body)["id"]
    export = api.handle(
        HttpRequest(
            "POST",
            f"http://cvat/api/projects/{project}/dataset/export?format=COCO+1.0",
            tuple(auth.items()),
        )
    )
    rq_id = json.loads(export.body)["rq_id"]
    done = api.handle(
        HttpRequest(
            "GET",
            "http://cvat/api/requests/" + urllib.parse.quote(rq_id, safe=""),
            tuple(auth.items()),
        )
    )
    result_url: str = json.loads(done.body)["result_url"]
    download = urllib.parse.urlsplit(result_url)
    paths = ["/api/server/about", f"/api/projects/{project}", "/api/nothing/here"]
    paths.append(f"{download.path}?{download.query}")
    with serve(server) as handle:
        connection = http.client.HTTPConnection(handle.host, handle.port, timeout=10)
        try:
            for path in paths:
                connection.request("GET", path, headers=auth)
                got = connection.getresponse()
                body = got.read()
                assert got.headers.get_all("Content-Length") == [str(len(body))], path
                connection.request("HEAD", path, headers=auth)
                head = connection.getresponse()
                assert head.read() == b"" and head.status == got.status
                assert head.headers.get_all("Content-Length") == [str(len(body))], path
            connection.request("DELETE", f"/api/projects/{project}", headers=auth)
            deleted = connection.getresponse()
            assert deleted.read() == b"" and deleted.status == 204
            assert deleted.headers.get_all("Content-Length") == ["0"]
        finally:
            connection.close()


def test_serve_a_validating_wrapper_one_exchange_at_a_time() -> None:
    server = FakeServer()
    checked = ValidatingTransport(server.transport())
    inside = 0
    overlaps: list[int] = []

    class Probe:
        def handle(self, request: HttpRequest) -> HttpResponse:
            nonlocal inside
            inside += 1
            overlaps.append(inside)
            try:
                return checked.handle(request)
            finally:
                inside -= 1

    auth = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    with serve(Probe()) as handle:

        def fetch() -> None:
            request = urllib.request.Request(handle.url + "/api/tasks", headers=auth)
            with urllib.request.urlopen(request) as response:
                assert response.status == 200

        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(overlaps) == 8 and max(overlaps) == 1
    assert checked.operations == {"tasks_list"} and checked.exchanges == 8
    checked.assert_clean()


def test_an_app_that_raises_answers_500() -> None:
    class Broken:
        def handle(self, request: HttpRequest) -> HttpResponse:
            raise RuntimeError("boom")

    with serve(Broken()) as handle, pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(handle.url + "/api/server/about")
    assert caught.value.code == 500
    assert b"RuntimeError: boom" in caught.value.read()


def test_module_entry_point_prints_address_and_stops() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cvatfn_fake", "--port", "0", "--user", "alice:pw"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("cvatfn_fake listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1]
        request = urllib.request.Request(
            url + "/api/users/self", headers={"Authorization": "Basic YWxpY2U6cHc="}
        )
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["username"] == "alice"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
