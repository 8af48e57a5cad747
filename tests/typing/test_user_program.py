"""The typing program also runs."""

from __future__ import annotations

from pathlib import Path

from returns.result import Success

import cvatfn
from cvatfn.errors import DeadlineExceeded, InvalidInput, NotFound
from cvatfn_fake import FakeServer
from tests.typing._png import png
from tests.typing.surface import chains, transports, workflow
from tests.typing.user_program import describe, program


def test_program_runs() -> None:
    assert program() == ["missing 404", "p", "q"]


def test_describe_covers_errors() -> None:
    assert describe(InvalidInput(message="m", field="name")) == "bad input name"
    assert describe(DeadlineExceeded(message="m", seconds=3.0)) == "deadline 3.0"


def test_workflow_runs(tmp_path: Path) -> None:
    assert workflow(tmp_path) == [
        "renamed 3",
        "2 jobs, validation",
        "mask, rectangle",
        "task.zip project.zip job.zip",
        "restored 3",
        "True",
    ]


def test_transports_run(tmp_path: Path) -> None:
    assert transports(tmp_path / "cassette.json") == [
        "admin",
        "http://localhost",
        "Urllib3Transport",
        "200",
    ]


def test_chains_run(tmp_path: Path) -> None:
    server = FakeServer()
    session = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=server.transport()
    ).unwrap()
    image = tmp_path / "a.png"
    image.write_bytes(png(4, 4))
    task = cvatfn.tasks.create_from_data(
        session, {"name": "t", "labels": [{"name": "car"}]}, [str(image)]
    ).unwrap()
    assert chains(session, task.id) == Success(0)
    assert isinstance(chains(session, task.id + 100).failure(), NotFound)
