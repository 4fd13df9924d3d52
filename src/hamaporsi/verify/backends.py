"""Where shards are checked: in this process, in a local process pool, or on a Dask cluster
(a `LocalCluster` of processes, or a scheduler at tcp://HOST:PORT). Every backend runs the same
pure function, `shard.verify_shard`, and hands results back as they complete; the runner applies
them in record order (spec §9.1)."""

from __future__ import annotations

import logging
import os
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from ..protocol.election import ElectionContext
from . import shard
from .shard import ShardResult, ShardSpec


class BackendError(Exception):
    """The backend cannot run (Dask not installed, scheduler unreachable, a worker failed)."""


@dataclass(frozen=True)
class Parallel:
    """How to run the shards: `workers` local processes (1: in this process), or Dask with
    `dask=True` (a local cluster of `workers` processes) or `scheduler` (an existing cluster;
    every worker must see the record at the same path)."""

    workers: int | None = None
    dask: bool = False
    scheduler: str | None = None
    connect_timeout: float = 30.0

    @property
    def uses_dask(self) -> bool:
        return self.dask or self.scheduler is not None

    def local_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


class Backend(Protocol):
    slots: int
    """Processes (or Dask threads) that check shards at once."""
    label: str

    def start(self, ctx: ElectionContext) -> None: ...
    def submit(self, spec: ShardSpec) -> None: ...
    def next_result(self) -> ShardResult:
        """Block until a submitted shard is done and return it (any order)."""
        ...
    def close(self) -> None: ...


class InProcess:
    """Shards checked one by one in this process (workers=1)."""

    slots = 1
    label = "1 process"

    def __init__(self) -> None:
        self._ctx: ElectionContext | None = None
        self._todo: deque[ShardSpec] = deque()

    def start(self, ctx: ElectionContext) -> None:
        self._ctx = ctx

    def submit(self, spec: ShardSpec) -> None:
        self._todo.append(spec)

    def next_result(self) -> ShardResult:
        assert self._ctx is not None
        return shard.verify_shard(self._ctx, self._todo.popleft())

    def close(self) -> None:
        self._todo.clear()


class ProcessPool:
    """Shards checked by a local pool of worker processes."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self.label = f"{workers} processes"
        self._pool: ProcessPoolExecutor | None = None
        self._pending: set[Future[ShardResult]] = set()
        self._done: deque[Future[ShardResult]] = deque()

    def start(self, ctx: ElectionContext) -> None:
        self._pool = ProcessPoolExecutor(self.slots, initializer=partial(shard.init, ctx))

    def submit(self, spec: ShardSpec) -> None:
        assert self._pool is not None
        self._pending.add(self._pool.submit(shard.verify_shard_here, spec))

    def next_result(self) -> ShardResult:
        if not self._done:
            done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
            self._done.extend(done)
        try:
            return self._done.popleft().result()
        except BrokenProcessPool as e:
            raise BackendError(f"a worker process died ({e}); run again to resume") from e

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskCluster:
    """Shards checked on Dask workers; each reads its byte range of the record itself.
    `distributed.as_completed` hands back results as workers finish them."""

    def __init__(self, scheduler: str | None, workers: int, timeout: float = 30.0) -> None:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as e:  # pragma: no cover - the `cluster` extra is missing
            raise BackendError("Dask is not installed: pip install 'hamaporsi[cluster]'") from e
        self._as_completed = as_completed
        self._cluster: Any = None
        self._client: Any = None
        self._ac: Any = None
        try:
            if scheduler is None:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                             processes=True, dashboard_address=":0",
                                             silence_logs=logging.ERROR)
                self._client = Client(self._cluster)
                where = "local Dask cluster"
            else:
                self._client = Client(scheduler, timeout=timeout)
                where = f"Dask at {scheduler}"
            self._client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as e:
            self.close()
            raise BackendError(f"cannot reach the Dask scheduler or it has no workers: "
                               f"{e}") from e
        self.slots = max(1, sum(self._client.nthreads().values()))
        self.label = f"{where}, {self.slots} worker threads"
        self._ctx: Any = None
        self._run = uuid.uuid4().hex[:12]

    def start(self, ctx: ElectionContext) -> None:
        [self._ctx] = self._client.scatter([ctx], broadcast=True)
        self._ac = self._as_completed()

    def submit(self, spec: ShardSpec) -> None:
        self._ac.add(self._client.submit(shard.verify_shard, self._ctx, spec, pure=False,
                                         key=f"hamaporsi-shard-{self._run}-{spec.number}"))

    def next_result(self) -> ShardResult:
        fut = next(self._ac)
        try:
            res: ShardResult = fut.result()
        except OSError as e:
            raise BackendError(f"a Dask worker could not read the record (it must be at the "
                               f"same path on every worker): {e}") from e
        fut.release()
        return res

    def close(self) -> None:
        if self._ac is not None:
            self._ac.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_backend(p: Parallel) -> Backend:
    if p.uses_dask:
        return DaskCluster(p.scheduler, p.local_workers(), p.connect_timeout)
    n = p.local_workers()
    return InProcess() if n == 1 else ProcessPool(n)
