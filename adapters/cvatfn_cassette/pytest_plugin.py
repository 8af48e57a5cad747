"""The pytest plugin of cvatfn_cassette (registered through the ``pytest11`` entry point)."""
