"""initialize / initialized / configuration / workspace folders."""

from __future__ import annotations

import asyncio
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.server.documents import uri_to_path
from lift_lsp.server.features.diagnostics import configuration_ready, refresh_all
from lift_lsp.server.routes import router
from lift_lsp.server.settings import SECTION

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer


def _import_suggestions() -> None:
    import_module("lift_lsp.suggest.engine")


def _roots(params: lsp.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots = [p for p in (uri_to_path(u) for u in uris) if p is not None]
    if not roots and params.root_path:
        roots = [Path(params.root_path)]
    return roots


def register(server: LiftServer) -> None:
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: LiftServer, params: lsp.InitializeParams) -> None:
        ls.settings.roots = _roots(params)
        ls.settings.set_init_options(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: LiftServer, params: lsp.InitializedParams) -> None:
        if ls.client_supports("workspace.didChangeConfiguration.dynamicRegistration"):
            await ls.client_register_capability_async(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="lift-configuration",
                            method=lsp.WORKSPACE_DID_CHANGE_CONFIGURATION,
                            register_options=lsp.DidChangeConfigurationRegistrationOptions(
                                section=SECTION
                            ),
                        )
                    ]
                )
            )
        try:
            await pull_configuration(ls)
        finally:
            configuration_ready(ls)
        router(ls)  # reads the route settings once and tells the editor (lift/routeStatus)
        # The suggestion engine is not needed to start: load it now, off the event loop,
        # so the first completion does not pay for the import.
        warm = asyncio.ensure_future(asyncio.to_thread(_import_suggestions))
        ls.ir.background.add(warm)
        warm.add_done_callback(ls.ir.background.discard)
        from lift_lsp.server.features.reverse import resume_interrupted_runs

        resume_interrupted_runs(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LiftServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        settings = params.settings
        if isinstance(settings, dict) and settings:
            ls.settings.set_client_config(settings)
            settings_changed(ls)
        else:
            await pull_configuration(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: LiftServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        removed = {uri_to_path(f.uri) for f in params.event.removed}
        roots = [r for r in ls.settings.roots if r not in removed]
        roots += [p for p in (uri_to_path(f.uri) for f in params.event.added) if p is not None]
        ls.settings.roots = roots
        settings_changed(ls)


async def pull_configuration(ls: LiftServer) -> None:
    """Ask the client for the ``lift`` section (if it can answer) and apply it."""
    if not ls.client_supports("workspace.configuration"):
        return
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
            ),
            timeout=5,
        )
    except Exception as exc:  # a client that cannot answer must not stop the server
        ls.warn(f"lift-lsp: could not read the editor's settings: {exc}")
        return
    if result and isinstance(result[0], dict):
        ls.settings.set_client_config(result[0])
        settings_changed(ls)


def settings_changed(ls: LiftServer) -> None:
    router(ls)
    refresh_all(ls)
