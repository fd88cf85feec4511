"""A customer's data over HTTP: ``GET /api/contacts/{contact}`` exports it, ``DELETE`` erases it;
the console's equivalents sit under ``/console/contacts``. A key made with ``--agent`` reaches that
agent's conversations only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..domain import Agent
from .api import Key
from .app import Services, services
from .console import Login, back, csrf_checked

router = APIRouter(tags=["privacy"])
Svc = Annotated[Services, Depends(services)]
Contact = Annotated[str, Query(min_length=1, max_length=60,
                               description="A phone number, a PSID, web:<conversation id> or character:<conversation id>.")]


def _scope(svc: Services, agent_id: int | None) -> Agent | None:
    return svc.frontdesk.agent_by_id(agent_id) if agent_id is not None else None


@router.get("/api/contacts/export", summary="Everything kept about a customer (data access request)")
def api_export(contact: Contact, svc: Svc, key: Key) -> dict[str, Any]:
    return svc.frontdesk.export_contact(contact, _scope(svc, key.agent_id))


@router.delete("/api/contacts", summary="Erase everything kept about a customer (erasure request)")
def api_erase(contact: Contact, svc: Svc, key: Key) -> dict[str, Any]:
    return svc.frontdesk.erase_contact(contact, _scope(svc, key.agent_id))


@router.get("/console/contacts/export", include_in_schema=False)
async def console_export(contact: Contact, svc: Svc, login: Login) -> Response:
    data = await run_in_threadpool(svc.frontdesk.export_contact, contact)
    return JSONResponse(data, headers={"Content-Disposition": 'attachment; filename="contact-export.json"'})


@router.post("/console/contacts/erase", include_in_schema=False)
def console_erase(svc: Svc, login: Login, csrf: Annotated[str, Form()],
                  contact: Annotated[str, Form(min_length=1, max_length=60)]) -> Response:
    csrf_checked(login, csrf)
    erased = svc.frontdesk.erase_contact(contact)
    return back("/console/", f"Erased {erased['conversations']} conversations of that contact.")
