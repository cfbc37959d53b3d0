"""DataFlow's general-text refiners (``dataflow.operators.general_text`` refine), vectorised.

Importing this module registers all of them; the operators live in ``refiners_markup`` (HTML, URLs,
image and wiki references), ``refiners_chars`` (spaces, emoji, emoticons, case, digits, repeated
punctuation) and ``refiners_lexical`` (contractions, date and currency normalisation). Each is a
``TextRefiner``: kind REFINE, input and output ``text``, and ``metrics["rows_changed"]``.
"""

from __future__ import annotations

from operators.text.refiners_chars import (
    LowercaseRefiner,
    RemoveEmojiRefiner,
    RemoveEmoticonsRefiner,
    RemoveExtraSpacesRefiner,
    RemoveNumberRefiner,
    RemoveRepetitionsPunctuationRefiner,
)
from operators.text.refiners_common import TextRefiner
from operators.text.refiners_lexical import RemoveContractionsRefiner, TextNormalizationRefiner
from operators.text.refiners_markup import (
    HtmlEntityRefiner,
    HtmlUrlRemoverRefiner,
    ReferenceRemoverRefiner,
    RemoveImageRefsRefiner,
)

__all__ = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "LowercaseRefiner",
    "ReferenceRemoverRefiner",
    "RemoveContractionsRefiner",
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveExtraSpacesRefiner",
    "RemoveImageRefsRefiner",
    "RemoveNumberRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "TextNormalizationRefiner",
    "TextRefiner",
]
