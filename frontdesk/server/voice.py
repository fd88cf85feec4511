"""OpenAI's audio endpoints: ``POST /v1/audio/transcriptions`` and ``POST /v1/audio/speech``.

Any OpenAI client transcribes a recording (``client.audio.transcriptions.create(file=..., model=...)``)
and speaks text (``client.audio.speech.create(model=..., voice=..., input=...)``) against this server.
``model`` and ``voice`` are accepted whatever they name: the server has one speech model and one
voice per language (docs/voice.md). The spoken language of ``/speech`` is ``language`` when given
(a frontdesk extension), else detected from the text among the languages voices speak.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidInput
from ..search.text import LanguageDetector
from ..voice.audio import FORMATS
from ..voice.turn import recording_path
from .api import Key, Svc
from .app import RowId
from .console import Login

router = APIRouter(prefix="/v1/audio", tags=["openai"])
console_router = APIRouter(prefix="/console", include_in_schema=False)
MAX_SPEECH_INPUT = 4096


@router.post("/transcriptions", summary="Transcribe a recording (OpenAI's shape)")
async def transcriptions(svc: Svc, key: Key,
                         file: Annotated[UploadFile, File(description="The recording: OGG/Opus, MP3, M4A, WAV, WebM.")],
                         model: Annotated[str, Form(min_length=1, max_length=100)],
                         language: Annotated[str | None, Form(pattern=r"^[a-z]{2,3}$")] = None,
                         prompt: Annotated[str | None, Form(max_length=2000)] = None,
                         response_format: Annotated[Literal["json", "text", "verbose_json"], Form()] = "json",
                         temperature: Annotated[float | None, Form(ge=0, le=1)] = None) -> Any:
    limit = svc.settings.max_file_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"file: the recording is larger than {svc.settings.max_file_mb} MB")
    transcript = await run_in_threadpool(svc.frontdesk.voice.hear, data, language=language, prompt=prompt)
    if response_format == "text":
        return PlainTextResponse(transcript.text)
    if response_format == "verbose_json":
        detail = transcript.as_dict()
        return {"task": "transcribe", "language": transcript.language, "duration": detail["duration"],
                "text": transcript.text,
                "segments": [{"id": n, **segment} for n, segment in enumerate(detail["segments"])],  # type: ignore[arg-type]
                "frontdesk": {"confidence": detail["confidence"],
                              "language_probability": detail["language_probability"]}}
    return {"text": transcript.text}


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # instructions, stream_format: accepted and ignored
    model: str = Field(min_length=1, max_length=100)
    input: str = Field(min_length=1, max_length=MAX_SPEECH_INPUT)
    voice: str | dict[str, Any] = "default"
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(1.0, ge=0.25, le=4.0)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="frontdesk extension: the language to speak.")


@router.post("/speech", summary="Speak text (OpenAI's shape); the body is the audio",
             response_class=Response, responses={200: {"content": {m: {} for _, _, m in FORMATS.values()}}})
async def speech(body: SpeechRequest, svc: Svc, key: Key) -> Response:
    voice = svc.frontdesk.voice
    language = body.language or _language_of(body.input, voice.languages)
    spoken = await run_in_threadpool(voice.speak, body.input, language, body.response_format)
    return Response(spoken.data, media_type=spoken.mime_type,
                    headers={"X-Frontdesk-Voice": spoken.speech.voice, "Content-Language": language})


_detectors: dict[tuple[str, ...], LanguageDetector] = {}


def _language_of(text: str, languages: tuple[str, ...]) -> str:
    if len(languages) < 2:
        return languages[0] if languages else "en"
    detector = _detectors.setdefault(languages, LanguageDetector(languages))
    return detector.detect(text, default=languages[0] if "en" not in languages else "en")


@console_router.get("/conversations/{conversation_id}/messages/{message_id}/recording")
def recording(conversation_id: RowId, message_id: RowId, svc: Svc, login: Login) -> FileResponse:
    """The customer's recording beside its transcript in the console (signed-in users only)."""
    conversation = svc.frontdesk.conversation(conversation_id)
    message = next((m for m in svc.frontdesk.transcript(conversation.id) if m.id == message_id), None)
    path = recording_path(message.payload) if message is not None else None
    media = (svc.settings.home / "media").resolve()
    if path is None or not path.resolve().is_relative_to(media) or not path.is_file():
        raise HTTPException(404, f"message {message_id} of conversation {conversation_id} has no recording")
    mime = str(((message.payload.get("voice") or {}).get("media") or {}).get("mime_type") or "audio/ogg")  # type: ignore[union-attr]
    return FileResponse(path, media_type=mime.split(";")[0], headers={"Cache-Control": "private, max-age=3600"})
