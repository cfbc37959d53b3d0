"""DataFlow's general-text filters, one family per module (patterns, words, lines, repetition, blocklist, diversity)."""
