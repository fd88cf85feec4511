"""1, 2 and 4 `frontdesk serve` processes on one PostgreSQL: webhook deliveries and answers per second,
and exactly-once with one process killed (SIGKILL) in the middle of the burst.

The parties are those of bench/channels_burst.py: real `frontdesk serve` processes (each with its
own data directory, as on separate hosts, each running channel workers), an OpenAI-compatible
upstream streaming the prompt's evidence at a fixed rate (frontdesk.testing.echo, its own process)
and the Graph API stand-in (frontdesk.testing.graph) in this process. The deliveries (with
Meta's duplicates) go round-robin to the processes, 32 at a time. With 2 or more processes the
first is killed once half the deliveries are in; the rest go to the others and its claims are
taken over when their lease (FRONTDESK_CLAIM_LEASE, 5 s here) runs out.

Checked from the store's public methods and the Graph stand-in's log: every distinct message is
recorded once and has its reply sent; successful Graph posts equal sent outbox rows (no reply
twice). One PostgreSQL schema, dropped afterwards; the sample business is ingested once and each
run connects a fresh channel (removing the last one removes its events and outbox).

Then ``--streams`` (200) streamed chats at once through /v1/chat/completions, spread round-robin over
1, 2 and 4 processes (bench/serve_load.py's measure: the delay frontdesk adds to each chunk beyond
the upstream's own timing, streams dropped, time to the first chunk).

    nice -n 10 python bench/scale.py [--processes 1 2 4] [--deliveries 400] [--unique 300] [--streams 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from channels_burst import PHONE_ID, QUESTIONS, SECRET, TOKEN, VERIFY, burst, delivery  # noqa: E402
from common import ROOT, SAMPLE, save_report  # noqa: E402
from serve_load import free_port, streams, wait_for  # noqa: E402

from frontdesk.store import open_store  # noqa: E402
from frontdesk.testing.graph import FakeGraph  # noqa: E402

SERVER = os.environ.get("FRONTDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))


@contextlib.contextmanager
def servers(n: int, env: dict[str, str], homes: Path) -> Iterator[tuple[list[subprocess.Popen], list[str]]]:
    """``n`` `frontdesk serve` processes, each with a data directory of its own (as on separate hosts),
    ready when this yields; ended afterwards (terminated, killed if still draining after a minute)."""
    processes, urls = [], []
    for i in range(n):
        port = free_port()
        processes.append(subprocess.Popen([FRONTDESK, "--home", str(homes / f"host{i}"), "serve", "--port",
                                           str(port), "--no-warm-up"], env=env, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_for(url + "/readyz")
        yield processes, urls
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:  # still draining after a minute: end it
                process.kill()
                process.wait()


def run(n: int, env: dict[str, str], tmp: Path, graph: FakeGraph, args: argparse.Namespace, kill: bool) -> dict:
    admin = [FRONTDESK, "--home", str(tmp / "admin")]
    store = open_store(env["FRONTDESK_DATABASE_URL"])
    for channel in store.list_channels():
        subprocess.run([*admin, "channels", "remove", str(channel.id)], env=env, check=True, capture_output=True)
    subprocess.run([*admin, "channels", "add", "harbor", "whatsapp", PHONE_ID], env=env, check=True,
                   capture_output=True)
    graph.reset()
    try:
        with servers(n, env, tmp / f"run{n}-{'kill' if kill else 'all'}") as (processes, urls):
            result = deliveries(n, store, graph, args, kill, processes, urls)
    finally:
        store.close()
    return result


def deliveries(n: int, store: Any, graph: FakeGraph, args: argparse.Namespace, kill: bool,
               processes: list[subprocess.Popen], urls: list[str]) -> dict:
    """The burst against running processes, then the exactly-once count from the store and the Graph log."""
    rng = random.Random(7)
    customers = [f"4916{n:02d}{c:06d}" for c in range(args.customers)]
    unique = [delivery(f"wamid.SCALE{n}-{k:06d}", customers[k % len(customers)], QUESTIONS[k % len(QUESTIONS)])
              for k in range(args.unique)]
    bodies = list(unique)
    for _ in range(args.deliveries - args.unique):
        original = rng.randrange(len(unique))
        bodies.insert(min(len(bodies), original + rng.randrange(0, 40)), unique[original])
    start = time.perf_counter()
    killed = False
    if kill and n > 1:
        half = len(bodies) // 2
        first = asyncio.run(burst_round_robin(urls, bodies[:half], args.concurrency))
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait()
        killed = True
        second = asyncio.run(burst_round_robin(urls[1:], bodies[half:], args.concurrency))
        accepted = {"deliveries": first["deliveries"] + second["deliveries"],
                    "seconds": round(first["seconds"] + second["seconds"], 2)}
        accepted["per_second"] = round(accepted["deliveries"] / accepted["seconds"], 1)
    else:
        accepted = asyncio.run(burst_round_robin(urls, bodies, args.concurrency))
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        counts = store.event_counts()
        if not counts.get("pending") and not counts.get("working") and not any(
                s.state in ("pending", "sending") for s in store.list_sends(limit=100_000)):
            break
        time.sleep(0.25)
    answered_after = time.perf_counter() - start
    events = store.list_events(limit=100_000)
    sends = [s for s in store.list_sends(limit=100_000) if s.key.startswith("reply:")]
    sent_events = {int(s.key.split(":")[1]) for s in sends if s.state == "sent"}
    text_rows = sum(1 for s in sends if s.kind == "text" and s.state == "sent")
    posts = len(graph.sent("text"))
    result = {
        "processes": n, "killed_one": killed, "webhook": accepted,
        "answered_seconds": round(answered_after, 1),
        "messages_answered_per_second": round(args.unique / answered_after, 2),
        "events": len(events), "distinct_events": len({e.event_key for e in events}),
        "states": store.event_counts(), "taken_over": sum(1 for e in events if e.attempts > 1),
        "lost": sum(1 for e in events if e.id not in sent_events),
        "doubled_posts": posts - text_rows,
    }
    result["exactly_once"] = (result["events"] == args.unique and result["lost"] == 0
                              and result["doubled_posts"] == 0)
    print("  " + json.dumps(result), flush=True)
    return result


def streams_run(n: int, env: dict[str, str], tmp: Path, key: str, upstream: str, args: argparse.Namespace) -> dict:
    """``args.streams`` concurrent streamed chats spread over ``n`` processes: the delay frontdesk adds."""
    env = {**env, "FRONTDESK_LLM_BASE_URL": upstream + "/v1", "FRONTDESK_CHANNEL_WORKERS": "0",
           "FRONTDESK_MAX_STREAMS": str(max(256, args.streams))}
    with servers(n, env, tmp / f"streams{n}") as (_, urls):
        asyncio.run(streams(urls, key, upstream, 10 * n, 0.0))  # warm up every process's answer path
        result = {"processes": n, **asyncio.run(streams(urls, key, upstream, args.streams, 0.0))}
    print("  " + json.dumps(result), flush=True)
    return result


async def burst_round_robin(urls: list[str], bodies: list[bytes], concurrency: int) -> dict:
    """Deliveries spread over the processes as a balancer would (each process gets its share)."""
    shares = [bodies[i::len(urls)] for i in range(len(urls))]
    results = await asyncio.gather(*(burst(url + "/webhooks/meta", share, max(1, concurrency // len(urls)))
                                     for url, share in zip(urls, shares, strict=True)))
    seconds = max(r["seconds"] for r in results)
    return {"deliveries": len(bodies), "seconds": round(seconds, 2), "per_second": round(len(bodies) / seconds, 1),
            "latency_p99_ms": max(r["latency_p99_ms"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--deliveries", type=int, default=400)
    parser.add_argument("--unique", type=int, default=300)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="channel workers per process")
    parser.add_argument("--rate", type=float, default=400.0, help="upstream words per second")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the answers of one run")
    parser.add_argument("--streams", type=int, default=200, help="concurrent streamed chats over N processes (0: skip)")
    parser.add_argument("--stream-rate", type=float, default=25.0, help="upstream words per second per stream")
    parser.add_argument("--skip-deliveries", action="store_true", help="only the streams part")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    import psycopg
    from conftest import ServerThread

    schema = f"fd_scale_{os.getpid()}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    tmp = Path(tempfile.mkdtemp(prefix="frontdesk-scale-"))
    graph = FakeGraph()
    up_port = free_port()
    upstream = subprocess.Popen([sys.executable, "-m", "frontdesk.testing.echo", "--port", str(up_port),
                                 "--rate", str(args.rate)])
    stream_port = free_port()
    stream_upstream = subprocess.Popen([sys.executable, "-m", "frontdesk.testing.echo", "--port", str(stream_port),
                                        "--rate", str(args.stream_rate)])
    results, stream_results = [], []
    try:
        with ServerThread(graph.app) as graph_server:
            env = {**os.environ, "FRONTDESK_DATABASE_URL": f"{SERVER}?options={quote(f'-csearch_path={schema}')}",
                   "FRONTDESK_LLM_BASE_URL": f"http://127.0.0.1:{up_port}/v1", "FRONTDESK_MODEL": "echo",
                   "FRONTDESK_FAST_MODEL": "none", "FRONTDESK_GRAPH_BASE_URL": graph_server.url + "/v24.0",
                   "FRONTDESK_GRAPH_BACKOFF": "0.1", "FRONTDESK_META_APP_SECRET": SECRET,
                   "FRONTDESK_META_VERIFY_TOKEN": VERIFY, "FRONTDESK_META_ACCESS_TOKEN": TOKEN,
                   "FRONTDESK_CHANNEL_WORKERS": str(args.workers), "FRONTDESK_CLAIM_LEASE": "5"}
            admin = [FRONTDESK, "--home", str(tmp / "admin")]
            subprocess.run([*admin, "agents", "create", "harbor"], env=env, check=True, capture_output=True)
            subprocess.run([*admin, "sources", "add", "harbor", str(SAMPLE / "site"), str(SAMPLE / "faq.csv"),
                            str(SAMPLE / "catalog.csv")], env=env, check=True, capture_output=True)
            wait_for(f"http://127.0.0.1:{up_port}/v1/models")
            print(f"{args.deliveries} deliveries ({args.unique} distinct from {args.customers} customers) per run, "
                  f"{args.concurrency} at a time, {args.workers} channel workers per process", flush=True)
            for n in [] if args.skip_deliveries else args.processes:
                results.append(run(n, env, tmp, graph, args, kill=False))
                if n > 1:
                    results.append(run(n, env, tmp, graph, args, kill=True))
            if args.streams:
                key = subprocess.run([*admin, "keys", "create"], env=env, check=True, capture_output=True,
                                     text=True).stdout.strip()
                stream_url = f"http://127.0.0.1:{stream_port}"
                wait_for(stream_url + "/v1/models")
                print(f"{args.streams} concurrent streams at {args.stream_rate:g} words/s, spread over the processes:",
                      flush=True)
                for n in args.processes:
                    stream_results.append(streams_run(n, env, tmp, key, stream_url, args))
    finally:
        for process in (upstream, stream_upstream):
            process.terminate()
            process.wait(timeout=30)
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    save_report("scale", {"runs": results, "streams": stream_results})


if __name__ == "__main__":
    main()
