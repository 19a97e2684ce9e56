"""Serve an ASGI app exactly as ``veerkracht serve`` does (same protocol, loop, options).

``python -m bench.serve MODULE:APP PORT WORKERS``: used for the service and for the ceiling
app, so the two are measured the same way.
"""

import sys

import uvicorn

from app.cli import uvicorn_options

if __name__ == "__main__":
    app, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        **uvicorn_options(),
    )
