"""Micro-batching for the cast path: callers submit one item each and await its own result;
whatever queued while the workers were busy goes out as one batch. Idle, a batch is one item
(no added wait); under load, batches grow by themselves, which is what makes one signature-and-
proof batch per worker task and one durable commit per transaction pay off."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs `work(batch)` on at most `parallel` batches at once, each of at most `max_batch`
    items; `work` returns one result per item, in order."""

    def __init__(self, work: Callable[[list[T]], Awaitable[list[R]]], *, parallel: int,
                 max_batch: int) -> None:
        self._work = work
        self._parallel = max(1, parallel)
        self._max = max(1, max_batch)
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Items waiting for a free worker."""
        return len(self._queue)

    async def submit(self, item: T) -> R:
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, fut))
        self._pump()
        return await fut

    def _pump(self) -> None:
        while self._queue and self._running < self._parallel:
            free = self._parallel - self._running
            n = min(self._max, -(-len(self._queue) // free))  # spread over the free workers
            batch = [self._queue.popleft() for _ in range(n)]
            self._running += 1
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._work([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} gave {len(results)} results")
        except BaseException as e:  # every caller of the batch gets the failure
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            if not isinstance(e, Exception):
                raise
        else:
            for (_, fut), r in zip(batch, results):
                if not fut.done():
                    fut.set_result(r)
        finally:
            self._running -= 1
            self._pump()
