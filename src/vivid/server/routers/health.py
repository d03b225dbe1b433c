"""Liveness and readiness probes (no API key: load balancers call them)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vivid.server.services import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable, store writable, workers alive",
            responses={503: {"description": "Not ready (the body says which check failed)."}})
def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        services.db.ping()
        checks["database"] = "ok"
    except Exception as e:  # noqa: BLE001 - whatever the driver raises, the probe reports it
        checks["database"] = f"unreachable ({type(e).__name__})"
    tmp = services.store.root / "tmp"
    checks["store"] = "ok" if tmp.is_dir() and _writable(tmp) else f"{services.store.root} is not writable"
    checks["workers"] = "ok" if services.runner.alive() else "not running"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


def _writable(folder) -> bool:  # noqa: ANN001
    import os

    return os.access(folder, os.W_OK)
