"""Tests for the urllib3 transport, against real sockets on loopback."""
