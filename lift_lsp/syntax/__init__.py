"""Tree-sitter parsing, incremental edits and position arithmetic (no LSP types)."""
