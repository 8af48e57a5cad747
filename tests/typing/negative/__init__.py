"""Programs that must not type check: every line marked ``# expect-error`` is an error under
both mypy --strict and pyright --strict, and no other line is (``tests/typing/test_negative.py``).
They are never imported or run."""
