"""Typed holes: detection, expected types and the bindings in scope (no LSP types)."""

from lift_lsp.holes.detect import find_holes
from lift_lsp.holes.model import Hole, HoleKind

__all__ = ["Hole", "HoleKind", "find_holes"]
