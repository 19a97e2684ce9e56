"""The framework's ceiling: a minimal FastAPI app serving a precomputed JSON body.

Served by uvicorn exactly like the real app, it answers with a body of the same size as
the list page, so the ratio real/ceiling shows what our own work (auth, query,
serialisation) costs on top of FastAPI and uvicorn.
"""

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

BODY = Path(os.environ["VEERKRACHT_BENCH_CEILING_BODY"]).read_bytes()
# Optional: a folder of bodies, each served at /ceiling/<file name> (bench/reference.py
# serves every read's own body beside the by-hand reference).
BODIES = {
    p.name: p.read_bytes()
    for p in sorted(Path(os.environ.get("VEERKRACHT_BENCH_CEILING_DIR", "")).glob("*.json"))
    if os.environ.get("VEERKRACHT_BENCH_CEILING_DIR")
}

app = FastAPI()


@app.get("/ceiling")
def ceiling() -> Response:
    """Same threadpool path as the service's sync routes."""
    return Response(content=BODY, media_type="application/json")


@app.get("/ceiling-async")
async def ceiling_async() -> Response:
    """The event loop alone (no threadpool hop): the absolute ceiling."""
    return Response(content=BODY, media_type="application/json")


@app.get("/ceiling/{name}")
def ceiling_named(name: str) -> Response:
    """One of BODIES, by the same threadpool path as /ceiling."""
    return Response(content=BODIES[name], media_type="application/json")
