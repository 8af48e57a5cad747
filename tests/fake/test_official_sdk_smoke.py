"""The official cvat-sdk 2.80.0 against the fake server's HTTP front (basics only).

``cvat_sdk.core.uploading.MAX_REQUEST_SIZE`` is lowered to 2000 bytes so that one of the
three images goes through the TUS path without having to generate a 100 MB file.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from cvatfn_fake import FakeServer, serve

pytestmark = [pytest.mark.http, pytest.mark.official_sdk]


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    paths = []
    for name, size in (("a.png", (10, 20)), ("b.png", (30, 40))):
        path = tmp_path / name
        Image.new("RGB", size, (1, 2, 3)).save(path)
        paths.append(path)
    big = tmp_path / "c.png"
    Image.effect_noise((64, 64), 100).convert("RGB").save(big)
    assert big.stat().st_size > 2000
    return [*paths, big]


@pytest.fixture
def port() -> Iterator[int]:
    with serve(FakeServer()) as handle:
        yield handle.port


def test_official_client_basics(
    port: int, images: list[Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import cvat_sdk.core.uploading as uploading
    from cvat_sdk import make_client

    monkeypatch.setattr(uploading, "MAX_REQUEST_SIZE", 2000)
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = make_client("http://127.0.0.1", port=port, credentials=("admin", "admin"))
    assert not [
        r for r in caplog.records if "compatible" in r.getMessage() or "version" in r.getMessage()
    ]
    client.config.status_check_period = 0.01
    with client:
        project = client.projects.create(
            {
                "name": "proj",
                "labels": [
                    {
                        "name": "car",
                        "attributes": [
                            {
                                "name": "color",
                                "mutable": False,
                                "input_type": "select",
                                "values": ["red", "blue"],
                            }
                        ],
                    },
                    {"name": "person"},
                ],
            }
        )
        task = client.tasks.create_from_data(
            {"name": "t", "project_id": project.id, "segment_size": 2}, images
        )
        assert task.size == 3 and task.jobs.count == 2
        assert [(f.name, f.width, f.height) for f in task.get_frames_info()] == [
            ("a.png", 10, 20),
            ("b.png", 30, 40),
            ("c.png", 64, 64),
        ]
        assert [label.name for label in task.get_labels()] == ["car", "person"]
        for i in range(11):
            client.tasks.create({"name": f"extra {i}", "labels": [{"name": "x"}]})
        assert len(client.tasks.list()) == 12
        task.update({"name": "renamed"})
        task.fetch()
        assert task.name == "renamed"
        jobs = sorted(task.get_jobs(), key=lambda j: j.id)
        job = client.jobs.retrieve(jobs[0].id)
        job.update({"stage": "validation"})
        assert (job.stage, job.state) == ("validation", "new")
        issue = client.issues.create(
            {
                "frame": job.start_frame,
                "position": [1.0, 2.0, 3.0, 4.0],
                "job": job.id,
                "message": "hi",
            }
        )
        client.comments.create({"issue": issue.id, "message": "second"})
        assert sorted(c.message for c in client.comments.list(issue_id=issue.id)) == [
            "hi",
            "second",
        ]
        issue.update({"resolved": True})
        assert issue.resolved
        client.organizations.create({"slug": "lab", "name": "Lab"})
        client.organization_slug = "lab"
        org_task = client.tasks.create({"name": "in org", "labels": [{"name": "x"}]})
        assert org_task.organization is not None
        assert [t.name for t in client.tasks.list()] == ["in org"]
        client.organization_slug = None
        client.tasks.remove_by_ids([org_task.id, 9999])
        task.remove()
        assert len(client.tasks.list()) == 11
        client.logout()
