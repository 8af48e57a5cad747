"""Whatever the server sends back, every public function returns a Result and never raises.

Every public function of cvatfn is found automatically (``_surface.public_functions``): the
functions in ``__all__`` of each public module and the top-level ones. Each has a recipe of
plausible arguments (``_surface.RECIPES``): ids and entities, specs, files to upload, download
targets in a fresh directory. Each is called against :class:`_chaos.Chaos`, a server that
answers anything (see its docstring), directly or through a :class:`cvatfn.Client`. The call
must

- return ``Success`` or ``Failure`` of a member of :data:`cvatfn.errors.CvatError` (an
  ``iterate`` yields only such values), and raise nothing; the few that return something else
  (``with_org``, ``http.redact_headers``, the pure ``retry`` helpers) return what their recipe
  says, and ``make_client`` is checked through ``.open()``;
- leave no file at a download target when it fails, and never a temporary file next to one;
- leave existing files and the files it uploaded untouched.

How many calls were tried is printed at the end of the run (``property_tests/conftest.py``),
and ``pytest --hypothesis-show-statistics`` shows how the outcomes were spread.
"""

from __future__ import annotations

import contextlib
import os
import typing
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import cvatfn
from cvatfn.errors import CvatError

from ._chaos import EXTRA_REQUESTS, Chaos, Runaway, pick
from ._surface import (
    RECIPES,
    TALLY,
    Env,
    Recipe,
    build_arguments,
    canonical_names,
    client_functions,
    public_functions,
)

FUNCTIONS = public_functions()
ERROR_TYPES: tuple[type, ...] = typing.get_args(CvatError)
ITERATION_LIMIT = 25
EXAMPLES_PER_FUNCTION = max(4, settings.default.max_examples // 8)
BUDGETS = (12, 6, 3, 1, 0)
"""Answers the server draws before it answers every request with 404 (long flows first)."""


def _probe_session() -> cvatfn.Session:
    server = cvatfn.Server(url="http://h", version="2.80.0")
    return cvatfn.Session(server=server, transport=_Unused())


class _Unused:
    def handle(self, request: object) -> object:  # pragma: no cover - never called
        raise AssertionError("the probe session sends nothing")


CANONICAL = canonical_names()
BOUND = {
    CANONICAL[id(function)]: name
    for name, (_, function) in client_functions(_probe_session()).items()
    if id(function) in CANONICAL
}
"""``{"tasks.create": "client.tasks.create", ...}``."""


def test_every_public_function_has_a_recipe() -> None:
    missing = sorted(set(FUNCTIONS) - set(RECIPES))
    stale = sorted(set(RECIPES) - set(FUNCTIONS))
    assert not missing, (
        f"public functions without an argument recipe in _surface.RECIPES: {missing}"
    )
    assert not stale, f"recipes for functions that are not public (any more): {stale}"


def test_every_client_method_is_a_public_function_with_a_recipe() -> None:
    names = canonical_names()
    bound = client_functions(_probe_session())
    assert bound, "Client binds nothing?"
    strays = [name for name, (_, function) in bound.items() if id(function) not in names]
    assert not strays, f"Client methods that bind no public function: {strays}"
    assert all(names[id(function)] in RECIPES for _, function in bound.values())


_AUTHS = (
    cvatfn.NoAuth(),
    cvatfn.PasswordAuth(username="u", sessionid="s3cret", csrftoken="c5rf"),
    cvatfn.AccessTokenAuth(token="t0ken"),
)
_POLICIES = (
    cvatfn.retry.RetryPolicy(),
    cvatfn.retry.NO_RETRY,
    cvatfn.retry.RetryPolicy(max_attempts=50, max_elapsed=float("inf")),
)


def _session(data: st.DataObject, transport: Chaos) -> cvatfn.Session:
    """A session on ``transport`` with drawn credentials, organization and config."""
    draw = data.draw
    config = cvatfn.Config(
        page_size=pick(draw, (1, 2, 100)),
        status_check_period=pick(draw, (0.0, 1.0, 30.0)),
        request_deadline=pick(draw, (0.0, 10.0, 3600.0)),
        tus_chunk_size=pick(draw, (1, 7, 8 * 2**20)),
        max_request_size=pick(draw, (1, 64, 8 * 2**20)),
        retry=pick(draw, _POLICIES),
    )
    return cvatfn.Session(
        server=cvatfn.Server(url="http://h", version="2.80.0"),
        transport=transport,
        auth=pick(draw, _AUTHS),
        org=pick(draw, (None, "", "lab")),
        config=config,
    )


def _outcome(name: str, value: object) -> str:
    """The kind of a returned value; anything but a Result of a CvatError fails."""
    if isinstance(value, Success):
        return "Success"
    if isinstance(value, Failure):
        error = value.failure()
        assert isinstance(error, ERROR_TYPES), f"{name} failed with a non-CvatError: {error!r}"
        assert isinstance(error.message, str)
        return type(error).__name__
    raise AssertionError(f"{name} returned {value!r}, not a Result")


def _check(name: str, value: object, recipe: Recipe) -> str:
    if recipe.returns is not None:
        assert isinstance(value, recipe.returns), f"{name} returned {value!r}"
        assert recipe.valid is None or recipe.valid(value), f"{name} returned {value!r}"
        return type(value).__name__
    if name.endswith(".iterate"):
        assert isinstance(value, Iterator), f"{name} returned {value!r}, not an iterator"
        kinds = [
            _outcome(name, item) for _, item in zip(range(ITERATION_LIMIT), value, strict=False)
        ]
        return "iterate: " + (kinds[-1] if kinds else "empty")
    return _outcome(name, value)


def _listing(path: Path) -> list[str]:
    return sorted(os.listdir(path)) if path.is_dir() else []


def _check_files(name: str, env: Env, failed: bool) -> None:
    """What the call left on disk."""
    for target in env.targets:
        left = _listing(target.parent)
        if failed:
            assert not target.exists(), f"{name} failed but left a file at {target}"
            assert left == [], f"{name} failed and left {left} next to its target"
        else:
            assert left == [target.name], f"{name} left {left} next to its target"
    for path, content in env.occupied.items():
        assert path.read_bytes() == content, f"{name} changed the existing file {path}"
        assert _listing(path.parent) == [path.name], f"{name} left files next to {path}"
    for outdir in env.outdirs:
        strays = [n for n in _listing(outdir) if n.startswith(".") or n.endswith(".part")]
        assert not strays, f"{name} left temporary files {strays} in {outdir}"
    for path, content in env.sources.items():
        assert path.read_bytes() == content, f"{name} changed the file it uploaded, {path}"
        assert _listing(path.parent) == [path.name], f"{name} left files next to {path}"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("never-raises")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(
    max_examples=EXAMPLES_PER_FUNCTION,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_never_raises(name: str, base: Path, data: st.DataObject) -> None:
    recipe = RECIPES[name]
    env = Env.fresh(data.draw, base)
    budget = pick(data.draw, BUDGETS)
    chaos = Chaos(data, budget=budget, chaotic_about=recipe.chaotic_about)
    args, kwargs = build_arguments(recipe, env)
    function: Callable[..., Any] = FUNCTIONS[name]
    shown = name
    if recipe.session:
        session = _session(data, chaos)
        if name in BOUND and data.draw(st.booleans(), label="through the client"):
            shown = BOUND[name]
            _, api, method = shown.split(".")
            function = getattr(getattr(cvatfn.Client(session), api), method)
        else:
            args = [session, *args]
    if "transport" in kwargs:
        kwargs["transport"] = chaos
    TALLY["calls"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = function(*args, **kwargs)
            if recipe.then is not None:
                value = recipe.then(value)
            kind = _check(shown, value, recipe)
        except Exception as error:  # the property: nothing escapes
            TALLY["escapes"] += 1
            raise AssertionError(
                f"{shown}(*{args!r}, **{kwargs!r}) raised {type(error).__name__}: {error}"
            ) from error
    event(kind)
    TALLY[f"outcome {kind}"] += 1
    _check_files(shown, env, failed=isinstance(value, Failure))


# ------------------------------------------------------------------------------ the harness


@given(data=st.data())
@settings(max_examples=5)
def test_the_file_checks_catch_what_a_failed_download_leaves(
    base: Path, data: st.DataObject
) -> None:
    env = Env.fresh(data.draw, base)
    target = env.root / "target" / "out.zip"
    target.parent.mkdir()
    env.targets.append(target)
    _check_files("nothing left", env, failed=True)
    (target.parent / ".out.zip.k3j2.part").write_bytes(b"half")
    with pytest.raises(AssertionError, match="left"):
        _check_files("a temporary file left", env, failed=True)


@given(data=st.data(), budget=st.integers(0, 3))
@settings(max_examples=10)
def test_the_chaotic_server_stops_after_its_budget(data: st.DataObject, budget: int) -> None:
    chaos = Chaos(data, budget=budget)
    request = cvatfn.http.HttpRequest("GET", "http://h/api/tasks/1")
    for _ in range(budget):
        with contextlib.suppress(cvatfn.http.TransportError):
            chaos.handle(request)
    for _ in range(EXTRA_REQUESTS):
        assert chaos.handle(request).status == 404
    with pytest.raises(Runaway):
        chaos.handle(request)
