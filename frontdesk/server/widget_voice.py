"""The web chat's microphone: a visitor's recording answered like a typed message.

``POST /widget/{name}/conversations/{id}/recordings`` takes the recording the widget made with
MediaRecorder (multipart ``file``: WebM/Opus in Chromium and Firefox, MP4/AAC in Safari) and
streams server-sent events: ``heard`` (the transcript, and "You asked about …" when unsure),
then ``delta``/``done`` as for a typed message, then ``speech`` (the answer as a data: URL the
widget plays) when the agent speaks its answers. Same origin check, rate limit and
conversation token as the typed route.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..domain import Agent, Conversation
from ..voice.turn import answer_recording
from .app import RowId
from .streaming import event_stream
from .widget import (
    Svc,
    Token,
    _cors,
    _cors_headers,
    _limit,
    _public_agent,
    _visitor_conversation,
    answer_event,
)

router = APIRouter(tags=["widget"])
#: A minute of browser Opus is about 250 kB; five minutes of anything fit.
MAX_RECORDING = 8 * 1024 * 1024


@router.post("/widget/{name}/conversations/{conversation_id}/recordings",
             summary="Send a visitor's recording; the transcript and the answer stream back as server-sent events",
             response_class=StreamingResponse)
async def send_recording(name: str, conversation_id: RowId, request: Request, svc: Svc, token: Token,
                         file: Annotated[UploadFile, File(description="The recording (WebM/Opus, OGG, MP4).")]
                         ) -> StreamingResponse:
    def prepare() -> tuple[Agent, str | None, Conversation]:
        agent, origin = _public_agent(svc, request, name)
        conversation = _visitor_conversation(svc, agent, conversation_id, token, origin)
        _limit(svc, request, agent, origin)
        return agent, origin, conversation

    agent, origin, conversation = await run_in_threadpool(prepare)
    data = await file.read(MAX_RECORDING + 1)
    if len(data) > MAX_RECORDING:
        raise HTTPException(413, f"the recording is larger than {MAX_RECORDING // 2**20} MB",
                            headers=_cors_headers(origin))
    mime = (file.content_type or "audio/webm").split(";")[0]

    def render(kind: str, value: Any) -> tuple[str, dict[str, Any]] | None:
        if kind == "heard":
            return "heard", {"text": value.question, "language": value.language, "unsure": value.unsure,
                             "prefix": value.prefix(), "understood": value.reply is None}
        if kind == "speech":
            audio = base64.b64encode(value.data).decode()
            return "speech", {"audio": f"data:{value.mime_type};base64,{audio}", "seconds": round(value.speech.duration, 2)}
        return answer_event(kind, value)

    response = event_stream(lambda: answer_recording(svc.frontdesk, agent, conversation.id, data, mime,
                                                     channel="web", fmt="mp3"), svc.slots, render)
    _cors(response, origin)
    return response
