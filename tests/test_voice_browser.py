"""The widget's microphone in a real browser: Debian's Chromium with its fake media stream
(``--use-fake-device-for-media-stream``, ``--use-fake-ui-for-media-stream``) records through
MediaRecorder, the widget uploads the recording, and the answer shows with a player for the
spoken answer. The server decodes Chromium's WebM/Opus for real; the transcript and the voice
come from the shipped fakes (tests/test_voice.py covers the real models).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.voice import Voice
from frontdesk.voice import audio as voice_audio
from frontdesk.voice.testing import FakeSynthesizer, FakeTranscriber

from .conftest import AGENT
from .test_browser import CHROMIUM, stack  # noqa: F401  (the served sample business and its shop page)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")]


@pytest.fixture
def browser_with_microphone() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        yield chromium
        chromium.close()


def test_the_widget_microphone_records_sends_and_plays_the_spoken_answer(browser_with_microphone: object,
                                                                          stack: tuple) -> None:  # noqa: F811
    from playwright.sync_api import expect

    app, server_url, shop_url = stack
    transcriber = FakeTranscriber(default=("When are you open on Saturday?", "en"))
    app.voice = Voice(app.settings, transcriber, FakeSynthesizer())
    app.store.update_agent(AGENT, voice_replies="spoken")
    context = browser_with_microphone.new_context(permissions=["microphone"])  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(shop_url + "/index.html")
    page.get_by_role("button", name="Chat with us").click()
    dialog = page.get_by_role("dialog", name="Harbor Coffee")
    mic = dialog.get_by_role("button", name="Record a voice message")
    expect(mic).to_be_visible()
    mic.click()
    stop = dialog.get_by_role("button", name="Stop recording and send")
    expect(stop).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(2500)  # two and a half seconds of Chromium's fake microphone
    stop.click()

    expect(dialog.locator(".msg.user").last).to_contain_text("When are you open on Saturday?", timeout=20_000)
    answer = dialog.locator(".msg.assistant").last
    expect(answer).to_contain_text("9:00", timeout=20_000)
    player = answer.locator("audio")
    expect(player).to_have_count(1, timeout=20_000)
    expect(player).to_have_attribute("aria-label", "Answer, spoken")
    source = player.get_attribute("src") or ""
    assert source.startswith("data:audio/mpeg;base64,")
    assert voice_audio.decode(base64.b64decode(source.split(",", 1)[1])).size > 0
    duration = player.evaluate("a => new Promise(done => a.readyState >= 1 ? done(a.duration)"
                               " : a.addEventListener('loadedmetadata', () => done(a.duration)))")
    assert duration > 0.5  # the browser itself can play what it was sent

    # what the browser recorded reached the server as real audio, and is kept beside its transcript
    assert transcriber.calls and transcriber.calls[-1]["bytes"] > 1000
    conversation = app.store.list_conversations()[0]
    first = app.store.messages(conversation.id)[0]
    kept = Path(first.payload["voice"]["media"]["path"])
    assert first.text == "When are you open on Saturday?" and kept.is_file()
    assert 1.5 < len(voice_audio.decode(kept.read_bytes())) / voice_audio.RATE < 10
    context.close()
