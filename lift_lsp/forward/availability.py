"""Whether Generate implementation can run for a file, and if not, what to change.

Only remote routes design and write code (the static engine has no program for the
forward signatures), and a file matching the remote-exclude globs never leaves the
machine. Light: the editor asks this for every code-action request.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Final

from lift_lsp.providers.router import RouteConfig, remote_allowed

#: The DSPy signatures the forward graph asks, in order.
FORWARD_SIGNATURES: Final = ("ExtractIntent", "PromptToIR", "RefineIR", "IRToCode")
HOW_TO_CONFIGURE: Final = (
    "set the route to anthropic, modal or auto and give that route its key"
    " (ANTHROPIC_API_KEY) or service URL (LIFT_MODAL_URL); see docs/routes.md"
)


def why_unavailable(
    config: RouteConfig, path: Path | str | None, override: str | None = None
) -> str | None:
    """Why no remote route would answer for ``path`` (``None``: one would)."""
    if not remote_allowed(path, config.remote_exclude):
        name = PurePath(path).name if path is not None else "this file"
        return (
            f"{name} matches the remote-exclude globs, so its code never leaves the"
            " machine, and only remote routes generate implementations"
        )
    wanted = override or config.route
    if wanted == "local":
        return f"the local route does not generate implementations: {HOW_TO_CONFIGURE}"
    if not config.any_remote:
        return f"no remote route is configured: {HOW_TO_CONFIGURE}"
    return None
