"""Byte- and token-level machinery the text filters share (no operators): byte scans, Unicode classes, vocabularies."""
