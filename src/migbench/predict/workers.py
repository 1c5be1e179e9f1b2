"""The local engine's worker processes: each loads the model once and predicts whole batches.

On a CPU, a small encoder's forward pass scales worse across threads than across processes:
two one-thread processes predict more units per second than one two-thread process (see
``benchmarks/bench_predict.txt``). :class:`Workers` therefore starts ``processes`` workers, gives
each an equal share of the cores as torch threads, sends them whole batches and yields their
predictions in input order, with a bounded number of batches in flight, so that memory holds a
few batches whatever the input's size. Workers ignore Ctrl-C (the run stops them) and exit when
the run that started them dies, so a killed run leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from migbench.errors import MigbenchError
from migbench.models.artifact import Released
from migbench.models.predictor import Predictor, Unit

#: Batches in flight per worker: one predicted while the next waits.
IN_FLIGHT = 2
#: Seconds between a worker's checks that the run that started it is alive.
PARENT_CHECK_S = 1.0

_predictor: Predictor | None = None
_failure: BaseException | None = None


def threads_per_worker(processes: int) -> int:
    """Return the torch threads of each of ``processes`` workers: an equal share of the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // processes)


class WorkerError(MigbenchError):
    """A worker process that died during a run."""


class Workers:
    """Predict batches of units in worker processes, in input order."""

    def __init__(self, model: Released, precision: str, processes: int) -> None:
        """Start ``processes`` workers, each of which loads ``model`` in ``precision``.

        Each worker checks and loads the model as :func:`migbench.models.load` does.

        Raises:
            WorkerError: A worker died while loading.
            Exception: The load's own error, from the first worker to load.
        """
        self.task: str = model.task
        self.context: bool = bool(model.manifest.get("context"))
        self.processes = processes
        context = multiprocessing.get_context("spawn")
        # Every worker waits for the others to load: no batch starts while one is loading.
        loaded = context.Barrier(processes)
        self._executor = ProcessPoolExecutor(
            processes,
            mp_context=context,
            initializer=_start,
            initargs=(
                str(model.folder),
                precision,
                threads_per_worker(processes),
                os.getpid(),
                loaded,
            ),
        )
        try:
            # One call per worker: the pool starts a worker for each call it cannot give to an
            # idle one.
            for call in [self._executor.submit(_loaded) for _ in range(processes)]:
                call.result()
        except BrokenProcessPool:
            self.close()
            raise WorkerError(
                "a worker process died while loading the model (killed, out of memory, or "
                "started from a script without `if __name__ == '__main__':`)"
            ) from None
        except BaseException:
            self.close()
            raise

    def map(self, batches: Iterable[Sequence[Unit]]) -> Iterator[list[Any]]:
        """Yield the predictions of each batch, in the order of ``batches``.

        Raises:
            WorkerError: A worker died.
        """
        pending: deque[Future[list[Any]]] = deque()
        try:
            for batch in batches:
                pending.append(self._executor.submit(_predict, list(batch)))
                if len(pending) >= IN_FLIGHT * self.processes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            raise WorkerError(
                "a worker process died (killed, or out of memory: try fewer --workers); what "
                "was written is kept, and the same command resumes the run"
            ) from None

    def close(self) -> None:
        """Stop the workers; batches not yet started are dropped."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _start(folder: str, precision: str, threads: int, parent: int, loaded: Any) -> None:
    """Load the model in a new worker, keeping a load error for the worker's first batch."""
    global _predictor, _failure
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    from migbench.models import load
    from migbench.models.artifact import read

    try:
        _predictor = load(read(Path(folder)), precision)
    except Exception as exc:  # raised in the run by _loaded, as an in-process load raises it
        _failure = exc
    if "torch" in sys.modules:  # a classifier's encoder; spaCy's recogniser runs on one thread
        sys.modules["torch"].set_num_threads(threads)
    loaded.wait()


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone (a killed run's workers would wait forever)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _loaded() -> None:
    if _failure is not None:
        raise _failure


def _predict(units: list[Unit]) -> list[Any]:
    _loaded()
    assert _predictor is not None  # _start either loads it or keeps the failure
    return _predictor.predict(units)
