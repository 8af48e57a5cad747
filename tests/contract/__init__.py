"""Tests that check the fake server and the client against CVAT's OpenAPI contract."""
