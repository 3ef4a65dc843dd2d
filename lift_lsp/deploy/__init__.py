"""Deployments of lift-lsp's remote services (``modal_app``: the ``modal`` route's server)."""
