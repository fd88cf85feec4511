"""Readiness, for load balancers and orchestrators (liveness is ``/healthz`` in app.py).

``/readyz`` answers 200 while this process should get traffic: its database (and Redis, when
configured) answers and it is not draining. A process that got SIGTERM says 503 here while it
finishes the requests and channel work it has (:func:`frontdesk.server.run.serve`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..errors import FrontdeskError
from .app import Services, services

router = APIRouter(tags=["health"])
Svc = Annotated[Services, Depends(services)]


@router.get("/readyz", summary="Readiness: database (and Redis) reachable, not draining")
def readyz(svc: Svc) -> JSONResponse:
    checks: dict[str, Any] = {"draining": svc.draining, "database": svc.frontdesk.database_backend}
    ready = not svc.draining
    try:
        svc.frontdesk.ping()
        checks["database_ok"] = True
    except FrontdeskError as exc:
        checks["database_ok"], checks["database_error"] = False, str(exc)
        ready = False
    if svc.redis is not None:
        try:
            svc.redis.ping()
            checks["redis_ok"] = True
        except Exception as exc:  # redis.RedisError and socket errors alike: not ready
            checks["redis_ok"], checks["redis_error"] = False, type(exc).__name__
            ready = False
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)
