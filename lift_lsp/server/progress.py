"""Server-initiated work-done progress (``window/workDoneProgress/create`` + ``$/progress``)
for long commands, or nothing when the client cannot show it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer


class WorkDone:
    """``async with WorkDone.start(ls, title, ...) as progress``: begin, report, end."""

    def __init__(self, ls: LiftServer, token: str | None) -> None:
        self.ls = ls
        self.token = token
        #: The message the progress ends with (set it before leaving the block).
        self.summary = ""

    @classmethod
    async def start(
        cls,
        ls: LiftServer,
        title: str,
        message: str,
        *,
        enabled: bool = True,
        cancellable: bool = True,
    ) -> WorkDone:
        if not enabled or not ls.client_supports("window.workDoneProgress"):
            return cls(ls, None)
        token = f"lift-{uuid.uuid4()}"
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(
            token,
            lsp.WorkDoneProgressBegin(
                title=title, message=message, percentage=0, cancellable=cancellable
            ),
        )
        return cls(ls, token)

    def report(self, message: str, percentage: int) -> None:
        if self.token is not None:
            self.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    @property
    def cancelled(self) -> bool:
        """Whether the user cancelled it in the editor."""
        if self.token is None:
            return False
        future = self.ls.work_done_progress.tokens.get(self.token)
        return future is not None and future.cancelled()

    def end(self) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(
                self.token, lsp.WorkDoneProgressEnd(message=self.summary)
            )
            self.token = None

    async def __aenter__(self) -> WorkDone:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.end()
