"""lift-lsp: a Python language server built around typed holes."""

__version__ = "0.1.0"
