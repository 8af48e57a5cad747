"""Recorded cassettes: record exchanges with any CVAT server, replay them offline."""
