"""Meta's webhooks: ``GET /webhooks/meta`` answers the subscription handshake, ``POST`` takes deliveries.

One callback URL serves WhatsApp, Messenger and Instagram (the delivery's ``object`` tells them
apart). The signature is checked on the raw body before anything is parsed or stored; the
answer is 200 as soon as the events are recorded, and workers reply in the background.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from ..log import get_logger
from .app import Services, services

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Svc = Annotated[Services, Depends(services)]


@router.get("/meta", summary="Meta's webhook verification handshake", response_class=PlainTextResponse)
def verify(svc: Svc, mode: Annotated[str | None, Query(alias="hub.mode", max_length=50)] = None,
           token: Annotated[str | None, Query(alias="hub.verify_token", max_length=500)] = None,
           challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None) -> PlainTextResponse:
    answer = svc.frontdesk.channels.verify_subscription(mode, token, challenge)
    if answer is None:
        raise HTTPException(403, "verification failed: hub.mode must be subscribe and hub.verify_token must "
                                 "match FRONTDESK_META_VERIFY_TOKEN")
    return PlainTextResponse(answer)


@router.post("/meta", summary="Meta's webhook deliveries (signed with X-Hub-Signature-256)",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "description": "A delivery as Meta sends it: object and entry[]."}}}}})
async def deliver(request: Request, svc: Svc) -> dict[str, Any]:
    channels = svc.frontdesk.channels
    if not channels.secrets.app_secret:
        raise HTTPException(503, "webhooks are not configured: set FRONTDESK_META_APP_SECRET or the secrets file")
    body = await request.body()
    if not channels.signature_ok(body, request.headers.get("x-hub-signature-256")):
        log.warning("webhook delivery with a missing or wrong signature refused", size=len(body))
        raise HTTPException(401, "missing or invalid X-Hub-Signature-256")
    events, new = await run_in_threadpool(channels.accept, body)
    return {"received": events, "new": new}
