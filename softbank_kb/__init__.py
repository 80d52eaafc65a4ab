"""sbkb: a sourced command-line knowledge base of SoftBank's AI strategy."""

from __future__ import annotations

__version__ = "0.1.0"
