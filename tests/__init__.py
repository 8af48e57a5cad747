"""cvatfn test suite."""
