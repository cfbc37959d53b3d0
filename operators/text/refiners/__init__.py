"""DataFlow's general-text refiners, one family per module (characters, markup, lexical) on the ``TextRefiner`` base."""
