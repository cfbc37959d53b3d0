"""Turn the shipped SmolLM2-135M GGUF into a Hugging Face model folder that vLLM can load (no download).

``python -m tests.vllm.prepare_model OUT_DIR`` (run by ``make test-vllm`` in .venv-vllm): transformers reads the
GGUF with ``gguf_file=``, de-quantizes it, and ``save_pretrained`` writes safetensors + config + tokenizer.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from resources.llm.local_server import default_model_path


def prepare(out_dir: Path) -> Path:
    """Write the model folder (once) and return it."""
    if (out_dir / "config.json").exists():
        return out_dir
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: PLC0415 - only in .venv-vllm

    gguf = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    config_path = out_dir / "config.json"  # the weights are de-quantized: drop the GGUF marker vLLM rejects
    config = json.loads(config_path.read_text())
    config.pop("quantization_config", None)
    config_path.write_text(json.dumps(config, indent=2))
    return out_dir


if __name__ == "__main__":
    print(prepare(Path(sys.argv[1])))
