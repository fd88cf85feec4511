"""Voice notes on the messaging channels, over real HTTP: signed webhook deliveries carrying a voice
note go to the running server; the Graph API stand-in (:mod:`frontdesk.testing.graph`) serves the
recording and records the answers, including the audio uploaded through ``POST /{account}/media``.

Most tests use the shipped fakes of the two voice seams (the recording is still real OGG/Opus, decoded
by PyAV); the ``slow`` one speaks the question with Piper and hears it with the packaged Whisper.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.app import Frontdesk
from frontdesk.server import create_app
from frontdesk.voice import Voice, packaged
from frontdesk.voice import audio as voice_audio
from frontdesk.voice.testing import FakeSynthesizer, FakeTranscriber, tone

from . import meta_payloads as m
from .conftest import AGENT, ServerThread, serve_sample, served_settings
from .test_channels import Meta, fake_graph, meta_settings, text_of

QUESTION = "Wann habt ihr am Samstag offen?"


@pytest.fixture
def meta(built_home: Path, tmp_path: Path, upstream: ServerThread) -> Iterator[Meta]:
    with fake_graph() as (graph, graph_url), \
            serve_sample(built_home, tmp_path / "home", upstream, **meta_settings(graph_url)) as served:
        served.app.channels.connect(AGENT, "whatsapp", m.PHONE_ID, label="shop number")
        served.app.channels.connect(AGENT, "messenger", m.PAGE_ID)
        served.app.voice = Voice(served.app.settings, FakeTranscriber(), FakeSynthesizer())
        yield Meta(served, graph, graph_url)


def _note(meta: Meta, media_id: str, data: bytes, text: str | None = QUESTION, language: str = "de") -> None:
    meta.graph.media[media_id] = (data, "audio/ogg; codecs=opus")
    if text is not None:
        meta.app.voice.transcriber.script(data, text, language)  # type: ignore[attr-defined]


def _texts(meta: Meta, customer: str) -> list[str]:
    return [text_of(b) for b in meta.replies_to(customer) if b.get("type") != "audio"]


def _audio(meta: Meta, customer: str) -> list[dict]:
    return [b for b in meta.replies_to(customer) if b.get("type") == "audio"]


@pytest.mark.slow
def test_a_whatsapp_voice_note_is_fetched_heard_answered_and_spoken_once(meta: Meta, upstream: ServerThread) -> None:
    meta.app.store.update_agent(AGENT, voice_replies="spoken")
    note = tone(4.0)
    _note(meta, "media-note-1", note)
    delivery = m.wa_delivery([m.wa_value([m.wa_audio("wamid.V1", "media-note-1")])])
    meta.deliver_at_once([delivery] * 3)  # Meta's retries, at once
    meta.settle()

    paths = [c.path for c in meta.graph.calls]
    assert "/v24.0/media-note-1" in paths and "/media-files/media-note-1" in paths  # fetched with the token
    texts = _texts(meta, m.CUSTOMER)
    assert len(texts) == 1 and "9:00" in texts[0] and "Quellen" in texts[0]  # grounded, cited, in German
    assert "Sie fragten nach" not in texts[0]  # a clear recording: no restating
    prompts = {str(c["prompt"]) for c in meta.app.voice.transcriber.calls}  # type: ignore[attr-defined]
    assert len(prompts) == 1 and "Yirgacheffe" in prompts.pop()  # the shop's product names, told to the recogniser
    audio = _audio(meta, m.CUSTOMER)
    assert len(audio) == 1 and audio[0]["audio"]["id"] in meta.graph.uploads
    uploaded, mime = meta.graph.uploads[audio[0]["audio"]["id"]]
    assert mime == "audio/ogg" and uploaded[:4] == b"OggS" and voice_audio.decode(uploaded).size > 0
    order = [c.body for c in meta.graph.sent() if (c.body or {}).get("to") == m.CUSTOMER]
    assert order[-1]["type"] == "audio"  # the text went out first; the voice follows it
    spoken_text = meta.app.voice.synthesizer.calls[-1]  # type: ignore[attr-defined]
    assert spoken_text[1] == "de" and "neun Uhr" in spoken_text[0] and "http" not in spoken_text[0]

    conversation = meta.conversation("whatsapp", m.PHONE_ID, m.CUSTOMER)
    messages = meta.app.store.messages(conversation.id)
    assert [x.role for x in messages] == ["user", "assistant"] and messages[0].text == QUESTION
    voice = messages[0].payload["voice"]
    assert voice["transcript"] == QUESTION and Path(voice["media"]["path"]).read_bytes() == note

    # the owner sees the transcript next to the recording in the console, and can play it
    meta.app.create_user("ana", "correct horse battery")
    with httpx.Client(base_url=meta.served.url, timeout=30) as browser:
        assert browser.get(f"/console/conversations/{conversation.id}/messages/{messages[0].id}/recording",
                           follow_redirects=False).status_code in (302, 303, 401)  # signed-in users only
        browser.post("/console/login", data={"name": "ana", "password": "correct horse battery"})
        shown = browser.get(f"/console/conversations/{conversation.id}").text
        assert QUESTION.replace("?", "") in shown and "Voice message, 4.0 s, heard as de" in shown
        assert f"/messages/{messages[0].id}/recording" in shown and "<audio" in shown
        played = browser.get(f"/console/conversations/{conversation.id}/messages/{messages[0].id}/recording")
        assert played.status_code == 200 and played.content == note and played.headers["content-type"] == "audio/ogg"
        assert browser.get(f"/console/conversations/{conversation.id}/messages/{messages[1].id}/recording"
                           ).status_code == 404

    # after a restart of the server on the same data, Meta's retry of the delivery sends nothing new
    meta.served.server.__exit__(None, None, None)
    meta.app.channels.stop()
    fresh = Frontdesk(served_settings(meta.app.settings.home, upstream, **meta_settings(meta.graph_url)))
    fresh.voice = meta.app.voice
    try:
        with ServerThread(create_app(fresh.settings, fresh, warm_up=False)) as again:
            body = m.encode(delivery)
            r = httpx.post(again.url + "/webhooks/meta", content=body,
                           headers={"X-Hub-Signature-256": m.sign(body), "Content-Type": "application/json"})
            assert r.json() == {"received": 1, "new": 0}
            time.sleep(0.5)
    finally:
        fresh.close()
    assert len(_texts(meta, m.CUSTOMER)) == 1 and len(_audio(meta, m.CUSTOMER)) == 1


@pytest.mark.slow
def test_voice_replies_follow_the_agents_setting(meta: Meta) -> None:
    customers = {"off": "4915100000001", "spoken": "4915100000002", "always": "4915100000003"}
    for n, (mode, customer) in enumerate(customers.items()):
        meta.app.store.update_agent(AGENT, voice_replies=mode)
        note = tone(2.0 + n / 10)
        _note(meta, f"media-mode-{n}", note, "When are you open on Saturday?", "en")
        meta.deliver(m.wa_delivery([m.wa_value([m.wa_audio(f"wamid.M{n}", f"media-mode-{n}", customer=customer),
                                                m.wa_text(f"wamid.T{n}", "Do you ship to Austria?", customer=customer)],
                                               customer=customer)]))
        meta.settle()
    assert len(_audio(meta, customers["off"])) == 0
    assert len(_audio(meta, customers["spoken"])) == 1  # the voice note only, not the typed question
    assert len(_audio(meta, customers["always"])) == 2
    for customer in customers.values():
        assert len(_texts(meta, customer)) == 2


@pytest.mark.slow
def test_an_unsure_transcript_is_restated_and_an_undecodable_note_asks_to_type(meta: Meta) -> None:
    transcriber: FakeTranscriber = meta.app.voice.transcriber  # type: ignore[assignment]
    transcriber.avg_logprob = -1.2  # a mumbled note
    _note(meta, "media-unsure", tone(3.0))
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_audio("wamid.U1", "media-unsure")])]))
    meta.settle()
    first = _texts(meta, m.CUSTOMER)[0]
    assert first.startswith("Sie fragten nach: „Wann habt ihr am Samstag offen“.") and "9:00" in first

    other = "4915199999999"
    _note(meta, "media-broken", b"OggS" + bytes(range(256)) * 8, text=None)
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_audio("wamid.B1", "media-broken", customer=other)], customer=other)]))
    meta.settle()
    assert _texts(meta, other) == ["Sorry, I couldn't play your voice message. Could you type your question instead?"]
    conversation = meta.conversation("whatsapp", m.PHONE_ID, other)
    kept = meta.app.store.messages(conversation.id)
    assert kept[0].payload["voice"]["error"].startswith("the audio could not be decoded")
    assert Path(kept[0].payload["voice"]["media"]["path"]).is_file()  # nothing is lost: the owner can listen
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.B2", "When are you open on Saturday?", customer=other)],
                                           customer=other)]))
    meta.settle()
    assert "9:00" in _texts(meta, other)[-1]  # the conversation goes on


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["messenger", "instagram"])
def test_a_messenger_or_instagram_audio_attachment_is_answered_in_text_and_audio_once(meta: Meta,
                                                                                       platform: str) -> None:
    account = m.PAGE_ID if platform == "messenger" else m.IG_ID
    if platform == "instagram":
        meta.app.channels.connect(AGENT, "instagram", m.IG_ID)
    meta.app.store.update_agent(AGENT, voice_replies="spoken")
    sender = "6254089081311000" if platform == "messenger" else "1789123456789012"
    note = tone(3.0, fmt="aac")  # Messenger's and Instagram's audio attachments are MP4/AAC
    meta.graph.media["media-ms-audio"] = (note, "audio/aac")
    meta.app.voice.transcriber.script(note, "When are you open on Saturday?", "en")  # type: ignore[attr-defined]
    # the upload fails more often than the Graph client retries: the event is retried, and the text
    # that did go out is not sent again
    meta.graph.fail(6, 503, endpoint="message_attachments")
    delivery = m.messaging_delivery(platform, account, [
        m.ms_item(sender, account, message={"mid": f"m_audio_{platform}", "attachments": [
            {"type": "audio", "payload": {"url": meta.graph_url + "/media-files/media-ms-audio"}}]})])
    meta.deliver_at_once([delivery] * 3)  # Meta's retries, at once
    meta.settle()

    replies = meta.replies_to(sender)
    texts = [text_of(b) for b in replies if "attachment" not in b["message"]]
    audio = [b for b in replies if "attachment" in b["message"]]
    assert len(texts) == 1 and "9:00" in texts[0]
    assert len(audio) == 1 and replies[-1] is audio[0]  # the voice follows the text, once
    sent = audio[0]
    assert sent["messaging_type"] == "RESPONSE" and sent["recipient"] == {"id": sender}
    assert sent["message"]["attachment"]["type"] == "audio"
    attachment_id = sent["message"]["attachment"]["payload"]["attachment_id"]
    data, mime, uploaded_for, kind = meta.graph.attachments[attachment_id]
    assert (mime, uploaded_for, kind) == ("audio/mp4", platform, "audio")
    assert data[4:8] == b"ftyp" and voice_audio.decode(data).size > 0  # an MP4 file that plays
    uploads = [c for c in meta.graph.calls if c.path.endswith("/message_attachments")]
    assert uploads[-1].path == ("/v24.0/me/message_attachments" if platform == "instagram"
                                else f"/v24.0/{m.PAGE_ID}/message_attachments")
    assert [c.status for c in uploads] == [503] * 6 + [200]
    assert all(c.token == m.TOKEN for c in uploads)
    assert sum(1 for c in meta.graph.calls if c.path == f"/v24.0/{account}/messages" and c.status == 200
               and "attachment" in ((c.body or {}).get("message") or {})) == 1
    spoken_text = meta.app.voice.synthesizer.calls[-1]  # type: ignore[attr-defined]
    assert spoken_text[1] == "en" and "nine" in spoken_text[0]

    # a typed question is answered in text only ("spoken"); "off" sends no voice at all
    meta.deliver(m.messaging_delivery(platform, account, [m.ms_text(f"m_typed_{platform}", "Do you ship to Austria?",
                                                                   sender, account)]))
    meta.settle()
    assert len([b for b in meta.replies_to(sender) if "attachment" in b["message"]]) == 1
    meta.app.store.update_agent(AGENT, voice_replies="off")
    meta.deliver(m.messaging_delivery(platform, account, [
        m.ms_item(sender, account, message={"mid": f"m_audio2_{platform}", "attachments": [
            {"type": "audio", "payload": {"url": meta.graph_url + "/media-files/media-ms-audio"}}]})]))
    meta.settle()
    assert len([b for b in meta.replies_to(sender) if "attachment" in b["message"]]) == 1
    assert len(meta.replies_to(sender)) == 4


@pytest.mark.slow
def test_a_long_voice_note_is_acknowledged_before_the_answer(meta: Meta) -> None:
    note = tone(62.0)
    _note(meta, "media-long", note, "When are you open on Saturday?", "en")
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_audio("wamid.L1", "media-long")])]))
    meta.settle(timeout=120)  # a minute of audio is decoded a few times: slow on a busy machine
    texts = _texts(meta, m.CUSTOMER)
    assert len(texts) == 2 and "listening to your voice message (1 min)" in texts[0] and "9:00" in texts[1]


@pytest.mark.slow
def test_a_spoken_question_is_heard_by_whisper_and_answered(meta: Meta) -> None:
    if not packaged.installed():
        pytest.skip("the voice extra is not installed")
    real = Voice(meta.app.settings)
    spoken = real.speak("When are you open on Saturday?", "en")
    meta.app.voice = real
    meta.app.store.update_agent(AGENT, voice_replies="spoken")
    meta.graph.media["media-real"] = (spoken.data, "audio/ogg; codecs=opus")
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_audio("wamid.REAL1", "media-real")])]))
    meta.settle(timeout=120)
    texts = _texts(meta, m.CUSTOMER)
    assert len(texts) == 1 and "9:00" in texts[0], texts
    audio = _audio(meta, m.CUSTOMER)
    assert len(audio) == 1
    heard = real.hear(meta.graph.uploads[audio[0]["audio"]["id"]][0], language="en")
    assert "saturday" in heard.text.lower() or "nine" in heard.text.lower() or "9" in heard.text
    conversation = meta.conversation("whatsapp", m.PHONE_ID, m.CUSTOMER)
    first = meta.app.store.messages(conversation.id)[0]
    assert "saturday" in first.text.lower() and first.payload["voice"]["language"] == "en"
    assert hashlib.sha256(spoken.data).hexdigest() == first.payload["voice"]["media"]["sha256"]
