"""The embedded broker for the demo: amqtt on loopback in a thread of its own."""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger(__name__)


class EmbeddedBroker:
    """amqtt (MQTT 3.1.1, anonymous, loopback only) so `facility demo` needs no Mosquitto."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._broker: object | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._started.set()
        if self._error is None:
            self._loop.run_forever()

    async def _start(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        try:
            broker = Broker(config, loop=self._loop)
            await broker.start()
            self._broker = broker
        except BaseException as error:  # noqa: BLE001 - reported to the starting thread
            self._error = error

    def start(self) -> None:
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        self._thread.start()
        self._started.wait(15)
        if self._error is not None:
            raise RuntimeError(f"embedded broker did not start: {self._error}")

    def stop(self) -> None:
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)  # type: ignore[attr-defined]
            try:
                future.result(timeout=10)
            except Exception:  # noqa: BLE001 - shutting down anyway
                log.warning("embedded broker did not shut down cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
