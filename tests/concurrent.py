"""Many HTTP requests released at the same instant against a live server."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

# The worker threads a race's served app gets, and three times as many racers (the standard).
THREADS = 8
RACERS = 3 * THREADS
RACES_ON_POSTGRESQL = "races are PostgreSQL's to prove; SQLite serialises every write"


def fire_together(
    base_url: str, count: int, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response | BaseException]:
    """Run `send(client, i)` in `count` threads that start together; each answer or error, in order."""
    barrier = threading.Barrier(count)
    results: list[httpx.Response | BaseException] = [TimeoutError("no answer")] * count

    def one(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait()
            try:
                results[i] = send(client, i)
            except BaseException as error:  # noqa: BLE001 - returned to the test
                results[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def status_codes(results: list[httpx.Response | BaseException]) -> list[int]:
    """The sorted status codes; an error instead of an answer fails the assertion."""
    assert all(isinstance(r, httpx.Response) for r in results), [
        r for r in results if not isinstance(r, httpx.Response)
    ]
    return sorted(r.status_code for r in results if isinstance(r, httpx.Response))
