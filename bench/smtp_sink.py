"""A local SMTP sink for the benchmark, run as its own process: accepts everything, appends each message
(length-prefixed) to a file. `python bench/smtp_sink.py PORT FILE`."""

from __future__ import annotations

import struct
import sys
import time

from aiosmtpd.controller import Controller


class FileSink:
    def __init__(self, path: str) -> None:
        self.handle = open(path, "ab", buffering=1 << 20)  # noqa: SIM115 - lives as long as the process

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        self.handle.write(struct.pack(">I", len(data)) + data)
        self.handle.flush()
        return "250 OK"


if __name__ == "__main__":
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(FileSink(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
