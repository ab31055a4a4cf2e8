"""Structured logs: JSON lines when not on a terminal, readable lines when on one."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    else:
        fields = "%(asctime)s %(levelname)s %(name)s %(message)s"
        handler.setFormatter(JsonFormatter(fields, rename_fields={"asctime": "ts", "levelname": "level"}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # amqtt logs every state-machine step of the embedded broker at INFO, and httpx every
    # request: the gateway's store writes, hundreds a second, were most of its log and a share
    # of its CPU.
    for chatty in ("transitions", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
