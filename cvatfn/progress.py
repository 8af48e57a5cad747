"""Progress reporting for long operations: uploads, background requests and downloads.

Theory of operation
-------------------
Flows never call a reporter. They yield :class:`~cvatfn._flow.Progress` effects, each a
``(stage, done, total)`` snapshot: ``"upload"`` counts bytes sent, ``"background"`` counts a
server-side request's percentage (of 100), ``"download"`` counts bytes received (of the
``Content-Length`` when the server sent one, else ``None``). The runner hands each snapshot to
a :class:`ProgressRouter`, which turns the stream of snapshots into the calls of a
:class:`ProgressReporter`:

- a snapshot for a stage that is not the current one (or whose ``total`` changed, or whose
  ``done`` went backwards, as when a second download starts) finishes the current stage and
  ``start``\\ s the new one with its ``total``;
- every snapshot is an ``update`` with the absolute ``done`` count;
- when the operation ends -- success, failure or interruption -- the current stage is
  finished.

So a reporter sees well-nested ``start``/``update``/``finish`` triples, one per stage, and a
progress bar can be drawn from them directly (:class:`TqdmReporter`).

Examples:
    >>> reporter = RecordingReporter()
    >>> router = ProgressRouter(reporter)
    >>> router.report("upload", 10, 20)
    >>> router.report("upload", 20, 20)
    >>> router.report("background", 50, 100)
    >>> router.close()
    >>> reporter.calls  # doctest: +NORMALIZE_WHITESPACE
    [('start', 'upload', 20), ('update', 'upload', 10), ('update', 'upload', 20),
     ('finish', 'upload'), ('start', 'background', 100), ('update', 'background', 50),
     ('finish', 'background')]
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = [
    "ProgressCall",
    "ProgressReporter",
    "ProgressRouter",
    "RecordingReporter",
    "TqdmReporter",
]


@runtime_checkable
class ProgressReporter(Protocol):
    """Receives the progress of long operations, one stage at a time.

    ``stage`` is ``"upload"``, ``"background"``, ``"download"`` or a stage a flow names;
    ``total`` is the number of units (bytes, or 100 for a percentage) when known; ``done`` is
    absolute, not a delta. A reporter must not raise: it is called from the middle of an
    operation.

    Examples:
        >>> class Printer:
        ...     def start(self, stage: str, total: int | None) -> None: print("start", stage)
        ...     def update(self, stage: str, done: int) -> None: pass
        ...     def finish(self, stage: str) -> None: print("finish", stage)
        >>> isinstance(Printer(), ProgressReporter)
        True
    """

    def start(self, stage: str, total: int | None) -> None:
        """A stage begins; ``total`` units are expected (``None``: unknown)."""
        ...

    def update(self, stage: str, done: int) -> None:
        """``done`` units of the current stage are complete."""
        ...

    def finish(self, stage: str) -> None:
        """The stage is over (completed, failed or interrupted)."""
        ...


ProgressCall: TypeAlias = tuple[str, str, int | None] | tuple[str, str]
"""One recorded call: ``("start", stage, total)``, ``("update", stage, done)`` or
``("finish", stage)``."""


class RecordingReporter:
    """A reporter that records every call in :attr:`calls`, for tests and debugging.

    Examples:
        >>> r = RecordingReporter()
        >>> r.start("download", 3); r.update("download", 3); r.finish("download")
        >>> r.calls
        [('start', 'download', 3), ('update', 'download', 3), ('finish', 'download')]
        >>> r.updates("download")
        [3]
    """

    def __init__(self) -> None:
        self.calls: list[ProgressCall] = []

    def start(self, stage: str, total: int | None) -> None:
        """Record ``("start", stage, total)``."""
        self.calls.append(("start", stage, total))

    def update(self, stage: str, done: int) -> None:
        """Record ``("update", stage, done)``."""
        self.calls.append(("update", stage, done))

    def finish(self, stage: str) -> None:
        """Record ``("finish", stage)``."""
        self.calls.append(("finish", stage))

    def stages(self) -> list[str]:
        """The stages started, in order.

        Examples:
            >>> r = RecordingReporter(); r.start("upload", None); r.stages()
            ['upload']
        """
        return [call[1] for call in self.calls if call[0] == "start"]

    def updates(self, stage: str) -> list[int]:
        """The ``done`` values reported for ``stage``, in order.

        Examples:
            >>> r = RecordingReporter(); r.update("upload", 5); r.updates("upload")
            [5]
        """
        done: list[int] = []
        for call in self.calls:
            if len(call) == 3 and call[0] == "update" and call[1] == stage:
                value = call[2]
                if value is not None:
                    done.append(value)
        return done


_DESCRIPTIONS = {"upload": "Uploading", "background": "Processing", "download": "Downloading"}
_BYTE_STAGES = frozenset({"upload", "download"})


class TqdmReporter:
    """Draw one `tqdm <https://tqdm.github.io>`_ bar per stage.

    tqdm is an optional dependency (``pip install cvatfn[tqdm]``); it is imported when the
    first stage starts, so building the reporter never fails. Byte stages (``upload``,
    ``download``) are shown in binary units; ``background`` as a percentage. Extra keyword
    arguments go to every ``tqdm(...)`` (for example ``file=sys.stdout``, ``leave=False``,
    ``disable=True``).

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> reporter = TqdmReporter(file=out, mininterval=0)
        >>> reporter.start("download", 2048); reporter.update("download", 2048)
        >>> reporter.finish("download")
        >>> "Downloading: 100%" in out.getvalue()
        True
    """

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self._kwargs = tqdm_kwargs
        self._bars: dict[str, tqdm[Any]] = {}

    def start(self, stage: str, total: int | None) -> None:
        """Open a bar for ``stage``."""
        from tqdm import tqdm

        self.finish(stage)
        options: dict[str, Any] = {"desc": _DESCRIPTIONS.get(stage, stage.capitalize())}
        if stage in _BYTE_STAGES:
            options.update(unit="B", unit_scale=True, unit_divisor=1024)
        elif stage == "background":
            options.update(unit="%")
        options.update(self._kwargs)
        self._bars[stage] = tqdm(total=total, **options)

    def update(self, stage: str, done: int) -> None:
        """Move the bar of ``stage`` to ``done``."""
        bar = self._bars.get(stage)
        if bar is not None and done != bar.n:
            bar.update(done - bar.n)

    def finish(self, stage: str) -> None:
        """Close the bar of ``stage``."""
        bar = self._bars.pop(stage, None)
        if bar is not None:
            bar.close()


class ProgressRouter:
    """Turns ``(stage, done, total)`` snapshots into well-nested reporter calls.

    This is what the runner uses; see the module docstring for the rules. A reporter that
    raises is not allowed to break the operation: its exception is swallowed.

    Examples:
        >>> r = RecordingReporter()
        >>> router = ProgressRouter(r)
        >>> router.report("download", 0, None); router.report("download", 5, None)
        >>> router.report("download", 0, None)  # a second download begins
        >>> router.close()
        >>> r.calls  # doctest: +NORMALIZE_WHITESPACE
        [('start', 'download', None), ('update', 'download', 0), ('update', 'download', 5),
         ('finish', 'download'), ('start', 'download', None), ('update', 'download', 0),
         ('finish', 'download')]
    """

    def __init__(self, reporter: ProgressReporter | None) -> None:
        self._reporter = reporter
        self._stage: str | None = None
        self._total: int | None = None
        self._done = 0

    def report(self, stage: str, done: int, total: int | None) -> None:
        """Route one snapshot."""
        reporter = self._reporter
        if reporter is None:
            return
        if stage != self._stage or total != self._total or done < self._done:
            self.close()
            self._stage, self._total = stage, total
            _quietly(reporter.start, stage, total)
        self._done = done
        _quietly(reporter.update, stage, done)

    def close(self) -> None:
        """Finish the current stage, if any. Idempotent."""
        if self._reporter is not None and self._stage is not None:
            stage, self._stage = self._stage, None
            self._total, self._done = None, 0
            _quietly(self._reporter.finish, stage)


def _quietly(method: Any, *args: Any) -> None:
    with contextlib.suppress(Exception):  # a reporter's bug must not fail the operation
        method(*args)
