"""Lets `python -m softbank_kb` work like `sbkb`."""

from __future__ import annotations

from softbank_kb.cli import main

if __name__ == "__main__":
    main()
