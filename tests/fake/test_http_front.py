from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from cvatfn_fake import FakeServer, serve

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
