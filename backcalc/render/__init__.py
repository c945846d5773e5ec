"""Renderers: one module per output format; no math, nothing but reading a result."""
