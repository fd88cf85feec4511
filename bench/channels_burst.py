"""A burst of WhatsApp webhook deliveries, with Meta's duplicates and retries, against `frontdesk serve`.

Three parties: `frontdesk serve` (the real command, its own process), an OpenAI-compatible
upstream streaming the prompt's evidence at a fixed rate (frontdesk.testing.echo, its own
process) and this client, which also runs the Graph API stand-in (frontdesk.testing.graph) that
answers a share of the sends with 429 or 500 at random.

The client signs and posts DELIVERIES deliveries, 32 at a time: UNIQUE distinct customer messages
(several per customer) and the rest repeats of earlier deliveries, some of them concurrent with
the original, as Meta's retries are. It then waits until every message is answered and checks,
from the server's database and the Graph stand-in's log:

* every distinct message was recorded once and answered (its reply sent), none lost;
* every successful send to the Graph API is one row of the outbox (no reply went out twice).

Figures: webhook answers per second and their latency, and messages answered per second.

    python bench/channels_burst.py [--deliveries 1000] [--unique 800] [--failures 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, sample_home, save_report, stop  # noqa: E402
from serve_load import free_port, pct, wait_for  # noqa: E402

from frontdesk.testing.graph import FakeGraph  # noqa: E402

SECRET, VERIFY, TOKEN, PHONE_ID = "bench-app-secret", "bench-verify", "bench-token", "106540352242922"
QUESTIONS = ["When are you open on Saturday?", "Do you ship to Austria?", "What is your return policy?",
             "Do you have decaf coffee?", "How much is the Ethiopia Yirgacheffe 250 g?",
             "Wann habt ihr am Samstag geöffnet?", "Who won yesterday's match?"]


def delivery(message_id: str, customer: str, text: str) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": customer}],
            "messages": [{"from": customer, "id": message_id, "timestamp": str(int(time.time())), "type": "text",
                          "text": {"body": text}}]}}]}]}).encode()


async def burst(url: str, bodies: list[bytes], concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            start = time.perf_counter()
            response = await client.post(url, content=body, headers={"X-Hub-Signature-256": signature,
                                                                      "Content-Type": "application/json"})
            latencies.append(time.perf_counter() - start)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"deliveries": len(bodies), "seconds": round(elapsed, 2), "per_second": round(len(bodies) / elapsed, 1),
            "latency_p50_ms": round(pct(latencies, 50) * 1000, 1), "latency_p99_ms": round(pct(latencies, 99) * 1000, 1),
            "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--unique", type=int, default=800, help="distinct customer messages among them")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--failures", type=float, default=0.05, help="share of Graph API calls answered 429/500")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=400.0, help="upstream words per second")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import ServerThread  # a uvicorn server in a thread

    home, env, frontdesk = sample_home("frontdesk-burst-")
    subprocess.run([*frontdesk, "channels", "add", "harbor", "whatsapp", PHONE_ID], env=env, check=True,
                   capture_output=True)
    graph = FakeGraph()
    graph.fail_randomly(args.failures, seed=1)
    up_port, port = free_port(), free_port()
    upstream_url = f"http://127.0.0.1:{up_port}"
    processes = [subprocess.Popen([sys.executable, "-m", "frontdesk.testing.echo", "--port", str(up_port),
                                   "--rate", str(args.rate)])]
    with ServerThread(graph.app) as graph_server:
        env.update(FRONTDESK_LLM_BASE_URL=upstream_url + "/v1", FRONTDESK_MODEL="echo",
                   FRONTDESK_GRAPH_BASE_URL=graph_server.url + "/v24.0", FRONTDESK_GRAPH_BACKOFF="0.1",
                   FRONTDESK_META_APP_SECRET=SECRET, FRONTDESK_META_VERIFY_TOKEN=VERIFY,
                   FRONTDESK_META_ACCESS_TOKEN=TOKEN)
        processes.append(subprocess.Popen([*frontdesk, "serve", "--port", str(port), "--no-warm-up"], env=env,
                                          stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(upstream_url + "/v1/models")
            wait_for(base + "/healthz")
            rng = random.Random(7)
            customers = [f"4915{n:08d}" for n in range(args.customers)]
            unique = [delivery(f"wamid.BURST{n:06d}", customers[n % len(customers)], QUESTIONS[n % len(QUESTIONS)])
                      for n in range(args.unique)]
            bodies = list(unique)
            for _ in range(args.deliveries - args.unique):  # Meta's retries: soon after, or right away
                original = rng.randrange(len(unique))
                bodies.insert(min(len(bodies), original + rng.randrange(0, 40)), unique[original])
            print(f"{len(bodies)} deliveries ({args.unique} distinct messages from {args.customers} customers), "
                  f"{args.concurrency} at a time; Graph API failing {args.failures:.0%} of calls", flush=True)
            start = time.perf_counter()
            accepted = asyncio.run(burst(base + "/webhooks/meta", bodies, args.concurrency))
            print("  webhook: " + json.dumps(accepted), flush=True)
            db = sqlite3.connect(home / "frontdesk.db")
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                open_events = db.execute("SELECT count(*) FROM channel_events WHERE state IN ('pending', 'working')"
                                         ).fetchone()[0]
                open_sends = db.execute("SELECT count(*) FROM channel_outbox WHERE state IN ('pending', 'sending')"
                                        ).fetchone()[0]
                if not open_events and not open_sends:
                    break
                time.sleep(0.2)
            answered_after = time.perf_counter() - start
            states = dict(db.execute("SELECT state, count(*) FROM channel_events GROUP BY state").fetchall())
            events = db.execute("SELECT count(*), count(DISTINCT event_key) FROM channel_events").fetchone()
            unanswered = db.execute(
                "SELECT count(*) FROM channel_events e WHERE NOT EXISTS (SELECT 1 FROM channel_outbox o "
                "WHERE o.key LIKE 'reply:' || e.id || ':%' AND o.state = 'sent')").fetchone()[0]
            rows_sent = db.execute("SELECT count(*) FROM channel_outbox WHERE state = 'sent'").fetchone()[0]
            db.close()
            graph_ok = len(graph.sent())
            graph_failed = sum(1 for c in graph.calls if c.status >= 400)
            result = {
                "accept": accepted, "answered_seconds": round(answered_after, 1),
                "messages_answered_per_second": round(args.unique / answered_after, 1),
                "events": events[0], "distinct_events": events[1], "states": states,
                "messages_without_a_sent_reply": unanswered, "outbox_rows_sent": rows_sent,
                "graph_successful_posts": graph_ok, "graph_failures_injected": graph_failed,
                "exactly_once": events[0] == args.unique and states.get("done") == args.unique
                and unanswered == 0 and rows_sent == graph_ok}
            print("  " + json.dumps(result), flush=True)
        finally:
            stop(processes, home)
    save_report("channels_burst", result)


if __name__ == "__main__":
    main()
