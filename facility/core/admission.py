"""Admission: a bounded number of requests inside the app at once, the rest wait in line or get 503.

Why: a sync endpoint runs on one of Starlette's worker threads, and FastAPI validates its return
value on another hop through the same thread pool *before* the session dependency commits. Let
every thread block on a lock (an organisation's advisory lock, a row lock) and the holder of that
lock can never get the thread it needs to finish and commit: the server hangs. Admitting fewer
requests than there are threads breaks the cycle. At most `concurrent_requests - 1` admitted
requests can wait on a lock while holding a thread, so a thread is always free for the holder;
and with no more admitted requests than pooled connections, the pool never runs dry either.
Waiting in line costs no thread and no connection; a request that waits longer than `wait_ms`
is told 503 with Retry-After. PostgreSQL's lock and statement timeouts bound the rest.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from facility.core.config import AdmissionLimits
from facility.core.handlers import busy_response

# Liveness probes and static files touch no database: they pass without waiting in line, so a
# burst never makes the process look dead.
UNGATED_PATHS = ("/healthz", "/static/")


class Admission:
    """ASGI middleware: at most `limits.concurrent_requests` requests in the app at once."""

    def __init__(self, app: ASGIApp, limits: AdmissionLimits) -> None:
        self.app = app
        self.limits = limits
        # One semaphore per event loop: anyio's primitives belong to the loop they first ran in.
        self.gates: weakref.WeakKeyDictionary[Any, anyio.Semaphore] = weakref.WeakKeyDictionary()

    def _gate(self) -> anyio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self.gates.get(loop)
        if gate is None:
            # The thread pool is per loop too; size it here, where the invariant above is kept.
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.limits.worker_threads
            gate = self.gates[loop] = anyio.Semaphore(self.limits.concurrent_requests, fast_acquire=True)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGATED_PATHS):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        with anyio.move_on_after(self.limits.wait_ms / 1000) as waiting:
            await gate.acquire()
        if waiting.cancelled_caught:
            await busy_response(Request(scope))(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()
