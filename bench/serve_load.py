"""Load on `frontdesk serve`: the non-generating endpoints, then many concurrent streamed chats.

Three processes on one machine: `frontdesk serve` (the real command), an OpenAI-compatible
upstream that streams the prompt's evidence back at a fixed word rate (frontdesk.testing.echo),
and this client. The figure is the platform's, not a model's:

* endpoints: requests/s and latency percentiles at a fixed client concurrency;
* streams: N chats at once through /v1/chat/completions (stream=true). For every chunk the
  client receives, the delay frontdesk added = when the client got it - when the upstream
  sent the chunk's last word (CLOCK_MONOTONIC, shared by the processes). frontdesk checks a
  sentence before showing it, so a chunk is released when its sentence ends; that wait is
  the design, and this delay is what the platform adds on top. Also: streams dropped
  (no [DONE], an error, or a non-200), time to the first chunk.

    python bench/serve_load.py [--streams 200] [--rate 25] [--requests 2000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import sample_home, save_report, stop  # noqa: E402

QUESTIONS = ["When are you open on Saturday?", "Do you ship to Austria?", "How much is the Profitec Go?",
             "What is your return policy?", "Do you have decaf coffee?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


PATHS = ["/healthz", "/v1/models", "/api/agents", "/api/agents/harbor/sources",
         "/api/agents/harbor/conversations?limit=20", "/api/agents/harbor/search?q=espresso+machine"]


def endpoints_wrk(base: str, key: str, seconds: int, concurrency: int) -> dict:
    """Debian's wrk (C, event loop): a Python client saturates before the server does."""
    results = {}
    for path in PATHS:
        subprocess.run(["wrk", "-t1", "-c4", "-d1s", "-H", f"Authorization: Bearer {key}", base + path],
                       capture_output=True, check=True)  # warm up
        out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency",
                              "-H", f"Authorization: Bearer {key}", base + path],
                             capture_output=True, text=True, check=True).stdout

        def ms(label: str, text: str = out) -> float:
            match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
            if not match:
                return float("nan")
            return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

        requests = int(re.search(r"(\d+) requests in", out).group(1))
        errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
        results[path] = {"requests": requests, "errors": errors,
                         "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                         "p50_ms": ms("50%"), "p99_ms": ms("99%"), "tool": "wrk"}
        print(f"  {path:50s} {results[path]['rps']:8.1f} req/s  p50 {results[path]['p50_ms']:6.1f} ms  "
              f"p99 {results[path]['p99_ms']:6.1f} ms  errors {errors}", flush=True)
    return results


async def endpoints(base: str, key: str, total: int, concurrency: int) -> dict:
    paths = PATHS
    results = {}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        for path in paths:
            for _ in range(20):  # warm up
                await client.get(path)
            started = time.perf_counter()
            latencies, errors = await _hammer(client, path, total, concurrency)
            elapsed = time.perf_counter() - started
            results[path] = {"requests": total, "errors": errors, "rps": round(total / elapsed, 1),
                             "p50_ms": round(pct(latencies, 50) * 1000, 1), "p99_ms": round(pct(latencies, 99) * 1000, 1)}
            print(f"  {path:50s} {results[path]['rps']:8.1f} req/s  p50 {results[path]['p50_ms']:6.1f} ms  "
                  f"p99 {results[path]['p99_ms']:6.1f} ms  errors {errors}", flush=True)
    return results


async def _hammer(client: httpx.AsyncClient, path: str, total: int, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for _ in queue:
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


async def streams(base: str | list[str], key: str, upstream: str, count: int, ramp: float) -> dict:
    """``count`` chats at once; with several base URLs (server processes) spread round-robin over them."""
    bases = [base] if isinstance(base, str) else base
    received: dict[str, list[tuple[float, int]]] = {}  # tag -> (time, cumulative words) per chunk
    outcomes: dict[str, str] = {}
    modes: dict[str, str] = {}
    conversations: dict[str, int] = {}
    first_chunk: list[float] = []
    open_now = peak = 0

    async def chat(client: httpx.AsyncClient, n: int) -> None:
        await asyncio.sleep(ramp * n / count)
        tag = str(n)
        question = QUESTIONS[n % len(QUESTIONS)]
        body = {"model": "harbor", "stream": True, "messages": [{"role": "user", "content": question}]}
        nonlocal open_now, peak
        words = 0
        chunks: list[tuple[float, int]] = []
        started = time.monotonic()
        open_now += 1
        peak = max(peak, open_now)
        try:
            async with client.stream("POST", "/v1/chat/completions", json=body) as response:
                if response.status_code != 200:
                    outcomes[tag] = f"status {response.status_code}"
                    return
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    if line == "data: [DONE]":
                        outcomes[tag] = "done"
                        break
                    event = json.loads(line[6:])
                    if "error" in event:
                        outcomes[tag] = "error"
                        return
                    content = event["choices"][0]["delta"].get("content")
                    if content:
                        now = time.monotonic()
                        if not chunks:
                            first_chunk.append(now - started)
                        words += len(content.split())
                        chunks.append((now, words))
                    elif event.get("frontdesk"):
                        modes[tag] = event["frontdesk"].get("mode", "")
                        conversations[tag] = event["frontdesk"]["conversation_id"]
            received[tag] = chunks
            outcomes.setdefault(tag, "no [DONE]")
        except httpx.HTTPError as exc:
            outcomes[tag] = f"failed: {type(exc).__name__}"
        finally:
            open_now -= 1

    started = time.monotonic()
    clients = [httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120,
                                 limits=httpx.Limits(max_connections=count + 10)) for url in bases]
    try:
        await asyncio.gather(*(chat(clients[n % len(clients)], n) for n in range(count)))
    finally:
        for client in clients:
            await client.aclose()
    elapsed = time.monotonic() - started
    sent = httpx.get(upstream + "/sent").json()["sent"]
    lags: list[float] = []
    by_conversation = {key.split("-")[1]: times for key, times in sent.items() if key.startswith("frontdesk-")}
    for tag, chunks in received.items():
        times = by_conversation.get(str(conversations.get(tag)), [])
        if outcomes.get(tag) != "done" or modes.get(tag) != "model" or not times:
            continue  # the check replaced the upstream's words (an evidence fallback): no word mapping
        # words past the upstream's own are what frontdesk appends (a product line): due at its last word
        lags.extend(at - times[min(words, len(times)) - 1] for at, words in chunks)
    done = sum(1 for o in outcomes.values() if o == "done")
    problems = {o: sum(1 for x in outcomes.values() if x == o) for o in set(outcomes.values()) if o != "done"}
    return {"streams": count, "completed": done, "dropped": count - done,
            "answered_by_model": sum(1 for m in modes.values() if m == "model"),
            "other_outcomes": problems, "seconds": round(elapsed, 2), "chunks_measured": len(lags),
            "added_ms_p50": round(pct(lags, 50) * 1000, 1), "added_ms_p99": round(pct(lags, 99) * 1000, 1),
            "added_ms_max": round(max(lags) * 1000, 1) if lags else None,
            "first_chunk_s_p50": round(pct(first_chunk, 50), 2), "first_chunk_s_p99": round(pct(first_chunk, 99), 2),
            "ramp_s": ramp, "peak_open_streams": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=float, default=25.0, help="upstream words per second per stream")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint (without wrk)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per endpoint (with wrk); 0: streams only")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which the streams start")
    args = parser.parse_args()

    home, env, frontdesk = sample_home("frontdesk-load-")
    key = subprocess.run([*frontdesk, "keys", "create"], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    up_port, port = free_port(), free_port()
    upstream_url = f"http://127.0.0.1:{up_port}"
    processes = [subprocess.Popen([sys.executable, "-m", "frontdesk.testing.echo", "--port", str(up_port),
                                   "--rate", str(args.rate)])]
    env.update(FRONTDESK_LLM_BASE_URL=upstream_url + "/v1", FRONTDESK_MODEL="echo",
               FRONTDESK_MAX_STREAMS=str(max(256, args.streams)))
    processes.append(subprocess.Popen([*frontdesk, "serve", "--port", str(port)], env=env,
                                      stderr=subprocess.DEVNULL))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(upstream_url + "/v1/models")
        wait_for(base + "/healthz")
        if args.seconds == 0:
            endpoint_results = {}
        elif shutil.which("wrk"):
            print(f"endpoints (wrk, {args.seconds} s each, {args.concurrency} connections):", flush=True)
            endpoint_results = endpoints_wrk(base, key, args.seconds, args.concurrency)
        else:
            print(f"endpoints ({args.requests} requests each, {args.concurrency} at a time; no wrk, so the "
                  "Python client may be the bottleneck):", flush=True)
            endpoint_results = asyncio.run(endpoints(base, key, args.requests, args.concurrency))
        asyncio.run(streams(base, key, upstream_url, 10, 0.0))  # warm up the answer path
        print(f"{args.streams} concurrent streams at {args.rate:g} words/s:", flush=True)
        stream_results = asyncio.run(streams(base, key, upstream_url, args.streams, args.ramp))
        print("  " + json.dumps(stream_results), flush=True)
    finally:
        stop(processes, home)
    save_report("serve_load", {"endpoints": endpoint_results, "streams": stream_results})


if __name__ == "__main__":
    main()
