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
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..domain import Agent, Conversation
from ..errors import FrontdeskError
from ..safety.public import visitor_answer
from ..voice.turn import answer_recording
from .app import RowId
from .streaming import iterate_in_thread, sse_event
from .widget import (
    Svc,
    Token,
    _cors,
    _cors_headers,
    _limit,
    _public_agent,
    _visitor_conversation,
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
    events = iterate_in_thread(lambda: answer_recording(svc.frontdesk, agent, conversation.id, data, mime,
                                                        channel="web", fmt="mp3"), svc.slots)

    async def sse() -> AsyncIterator[str]:
        try:
            async for kind, value in events:
                if kind == "heard":
                    yield sse_event("heard", {"text": value.question, "language": value.language,
                                          "unsure": value.unsure, "prefix": value.prefix(),
                                          "understood": value.reply is None})
                elif kind == "delta":
                    yield sse_event("delta", {"text": value})
                elif kind == "held":
                    yield sse_event("held", {"status": "human"})
                elif kind == "done":
                    yield sse_event("done", visitor_answer(value.to_json()))
                elif kind == "speech":
                    audio = base64.b64encode(value.data).decode()
                    yield sse_event("speech", {"audio": f"data:{value.mime_type};base64,{audio}",
                                           "seconds": round(value.speech.duration, 2)})
        except FrontdeskError as exc:
            yield sse_event("error", {"message": str(exc)})

    response = StreamingResponse(sse(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    _cors(response, origin)
    return response
