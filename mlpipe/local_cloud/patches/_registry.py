"""Bookkeeping shared by the patch modules: what each patch replaced (for the gap tests)."""

from __future__ import annotations

ORIGINALS: dict[str, object] = {}
