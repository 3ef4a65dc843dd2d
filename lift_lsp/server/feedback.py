"""What the editor showed for each hole, and what the user did with it.

Completion and code actions :func:`remember` the suggestions they return for a hole.
The feedback the ranker learns from is then written to the store:

- ``lift.acceptSuggestion [uri, key, index]`` (the command of every item and action):
  one accepted row and one rejected row for every other suggestion shown.
- A hole filled by hand: every edit is mapped onto the tracked holes (:func:`note_edit`,
  called by ``didChange``). Once an edit has touched a hole, the text the user writes
  there is followed; when it has been left alone for :data:`SETTLE_SECONDS` and no hole
  is left at that place, the suggestions shown are recorded as rejected, ``chosen``
  being the text now there (the node at the old hole's start). Waiting for the edits to
  settle keeps a half-typed name (``t`` on the way to ``total``) out of the data; text
  equal to one of the suggestions counts as accepting it (an editor that applies an item
  without running its command).

It also keeps the ranker in use: the store's active ``ranker`` program, read once and
again after :func:`invalidate_ranker` (``lift.optimize`` / ``lift.rollback``).

Recording never breaks completion: failures are logged. The store is the reverse
engine's (``features.reverse.engine``), opened on first use — nothing here imports
aiosqlite when the server starts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from tree_sitter import Node

from lift_lsp.holes import Hole
from lift_lsp.server.documents import OpenDocument
from lift_lsp.syntax.document import ChangeOutcome, SourceDocument
from lift_lsp.syntax.positions import decode

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer
    from lift_lsp.suggest.engine import Suggestion
    from lift_lsp.suggest.ranker import Ranker

log = logging.getLogger(__name__)

ACCEPT_SUGGESTION = "lift.acceptSuggestion"
RANKER_KIND = "ranker"
#: How long the text written over a hole must stay untouched before it is recorded.
SETTLE_SECONDS = 2.0
#: How long a request waits for the store's ranker before using the built-in one.
RANKER_WAIT_SECONDS = 5.0
#: Holes followed at once (the oldest are forgotten first).
MAX_TRACKED = 200
MAX_CHOSEN_CHARS = 500
#: Where the node holding the text that replaced a hole stops growing.
_STOP = frozenset({"module", "block", "expression_statement", "ERROR"})


@dataclass(frozen=True)
class Shown:
    """One suggestion as the editor showed it."""

    text: str
    features: dict[str, float]
    source: str
    program_version: str


@dataclass(eq=False)
class ShownHole:
    """A hole that had suggestions shown, followed through the edits of its document."""

    key: str
    doc: OpenDocument
    #: The hole's byte range; once an edit has touched it, the range of what was written.
    start: int
    end: int
    suggestions: list[Shown]
    revision: int
    #: One decision, one group of rows: a new id each time a hole is shown afresh.
    episode: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    touched: bool = False
    timer: asyncio.TimerHandle | None = None
    #: SuggestHoleFill's inputs when the suggestions were shown.
    inputs: dict[str, Any] | None = None

    @property
    def stored_key(self) -> str:
        return f"{self.key}~{self.episode}"

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class FeedbackState:
    """Per server: the holes shown, the pending recordings, the ranker in use."""

    def __init__(self) -> None:
        self.shown: dict[str, ShownHole] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.settle_seconds = SETTLE_SECONDS
        self.ranker: Ranker | None = None
        self.ranker_task: asyncio.Future[Ranker] | None = None
        #: Bumped by :func:`invalidate_ranker`: a load started before is not cached.
        self.ranker_generation = 0


def hole_key(doc: OpenDocument, hole: Hole) -> str:
    """``uri#name@line`` (1-based line of the hole's start)."""
    return f"{doc.uri}#{hole.name}@{doc.source.line_of(hole.start) + 1}"


# --- the ranker -----------------------------------------------------------------------


def invalidate_ranker(ls: LiftServer) -> None:
    """Forget the cached ranker: the next request reads the store's active one again.

    ``lift.optimize`` and ``lift.rollback`` call this after changing the active version.
    """
    state = ls.feedback
    state.ranker = None
    state.ranker_task = None
    state.ranker_generation += 1


def _has_store(ls: LiftServer) -> bool:
    from lift_lsp.server.features.reverse import DB_IN_ROOT

    if ls.ir.engine is not None:
        return True
    root = ls.settings.roots[0] if ls.settings.roots else None
    return root is not None and (root / DB_IN_ROOT).exists()


async def _load_ranker(ls: LiftServer, generation: int) -> Ranker:
    from lift_lsp.suggest.ranker import Ranker

    ranker = Ranker()
    if _has_store(ls):
        from lift_lsp.server.features.reverse import engine

        try:
            store = (await engine(ls)).store
            active = await store.active_program(RANKER_KIND)
        except Exception as exc:
            log.exception("reading the active ranker")
            ls.warn(f"lift-lsp: could not read the active ranker, using the built-in one: {exc}")
        else:
            if active is not None:
                ranker = Ranker.from_json(active.payload)
                ls.log(f"lift-lsp: ranking suggestions with {ranker.version}")
    if ls.feedback.ranker_generation == generation:
        ls.feedback.ranker = ranker
    return ranker


async def current_ranker(ls: LiftServer) -> Ranker:
    """The cached ranker; loaded on first use (the built-in one if that is slow)."""
    from lift_lsp.suggest.ranker import Ranker

    state = ls.feedback
    if state.ranker is not None:
        return state.ranker
    if state.ranker_task is None or state.ranker_task.done():
        state.ranker_task = asyncio.ensure_future(_load_ranker(ls, state.ranker_generation))
    try:
        return await asyncio.wait_for(asyncio.shield(state.ranker_task), RANKER_WAIT_SECONDS)
    except TimeoutError:
        ls.log("lift-lsp: the store's ranker is not loaded yet; using the built-in one")
        return Ranker()
    except Exception:  # never an error in the editor: the built-in ranker will do
        log.exception("loading the ranker")
        return Ranker()


# --- what was shown -------------------------------------------------------------------


def remember(ls: LiftServer, doc: OpenDocument, hole: Hole, suggestions: list[Suggestion]) -> str:
    """Keep the suggestions shown for ``hole``; the key for ``lift.acceptSuggestion``."""
    state = ls.feedback
    key = hole_key(doc, hole)
    shown = [
        Shown(
            s.text,
            dict(s.features),
            s.source,
            str(s.provenance.get("program_version", "ranker-?")),
        )
        for s in suggestions
    ]
    existing = state.shown.get(key)
    if (
        existing is not None
        and existing.doc is doc
        and existing.revision == doc.revision
        and [s.text for s in shown] == [s.text for s in existing.suggestions[: len(shown)]]
    ):
        return key  # the same list, or its head (code actions after completion): keep it
    for other in [e for e in state.shown.values() if e.doc is doc and e.start == hole.start]:
        _forget(state, other)  # the same hole under a key from before lines moved
    _prune(ls)
    entry = ShownHole(key, doc, hole.start, hole.end, shown, doc.revision)
    entry.inputs = _fill_inputs(ls, doc, hole)
    state.shown[key] = entry
    return key


def _fill_inputs(ls: LiftServer, doc: OpenDocument, hole: Hole) -> dict[str, Any] | None:
    """SuggestHoleFill's inputs at this hole now (the text will change once it is filled)."""
    from lift_lsp.suggest.remote import fill_inputs

    try:
        return fill_inputs(doc.analysis(ls.settings_for(doc)), hole.start)
    except Exception:  # feedback must never break completion
        log.exception("describing a hole for feedback")
        return None


def _forget(state: FeedbackState, entry: ShownHole) -> None:
    entry.cancel()
    if state.shown.get(entry.key) is entry:
        del state.shown[entry.key]


def _prune(ls: LiftServer) -> None:
    state = ls.feedback
    for entry in list(state.shown.values()):
        if ls.documents.get(entry.doc.uri) is not entry.doc and not entry.touched:
            _forget(state, entry)
    while len(state.shown) >= MAX_TRACKED:
        _forget(state, next(iter(state.shown.values())))


# --- recording ------------------------------------------------------------------------


async def _record(
    ls: LiftServer, entry: ShownHole, accepted: int | None, chosen: str | None
) -> int:
    """Write one row per suggestion shown; the number written (0 when the store fails)."""
    from lift_lsp.server.features.reverse import engine

    written = 0
    try:
        store = (await engine(ls)).store
        for i, s in enumerate(entry.suggestions):
            # The hole's context goes with the row that says what was chosen: the
            # examples LLM programs are compiled from.
            says_choice = i == accepted or (accepted is None and i == 0 and chosen is not None)
            await store.record_feedback(
                entry.stored_key,
                s.text,
                s.features,
                s.source,
                i == accepted,
                s.program_version,
                chosen if accepted is None else None,
                inputs=entry.inputs if says_choice else None,
            )
            written += 1
    except Exception as exc:
        log.exception("recording feedback for %s", entry.key)
        ls.warn(f"lift-lsp: could not record feedback on suggestions: {exc}")
    return written


def _index_arg(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError
    return int(value)


async def accept(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    """``lift.acceptSuggestion [uri, key, index]``: the shown suggestion ``index`` taken."""
    from pygls.exceptions import JsonRpcInvalidParams

    if len(args) == 1 and isinstance(args[0], dict):
        args = (args[0].get("uri"), args[0].get("key"), args[0].get("index"))
    try:
        if len(args) != 3 or not isinstance(args[0], str) or not isinstance(args[1], str):
            raise ValueError
        index = _index_arg(args[2])
    except ValueError:
        raise JsonRpcInvalidParams("expected arguments [uri, hole key, index]") from None
    state = ls.feedback
    entry = state.shown.get(args[1])
    if entry is None or entry.doc.uri != args[0]:
        # Already recorded (the edit settled first), or shown by an earlier server.
        return {"recorded": 0, "accepted": None}
    if not 0 <= index < len(entry.suggestions):
        raise JsonRpcInvalidParams(
            f"index {index} is out of range: {len(entry.suggestions)} suggestions were shown"
        )
    _forget(state, entry)
    written = await _record(ls, entry, index, None)
    return {"recorded": written, "accepted": entry.suggestions[index].text}


# --- holes filled by hand -------------------------------------------------------------


def _common(a: bytes, b: bytes, limit: int, *, suffix: bool) -> int:
    """The length of the longest common prefix (or suffix) up to ``limit``, by halving:
    each step compares slices at C speed."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        same = a[len(a) - mid :] == b[len(b) - mid :] if suffix else a[:mid] == b[:mid]
        if same:
            lo = mid
        else:
            hi = mid - 1
    return lo


def whole_change(old: bytes, new: bytes) -> ChangeOutcome:
    """The smallest single edit turning ``old`` into ``new`` (for whole-document changes)."""
    prefix = _common(old, new, min(len(old), len(new)), suffix=False)
    suffix = _common(old, new, min(len(old), len(new)) - prefix, suffix=True)
    return ChangeOutcome(prefix, len(old) - suffix, len(new) - suffix)


def note_edit(ls: LiftServer, doc: OpenDocument, old: bytes, change: ChangeOutcome | None) -> None:
    """Map one applied change (``None``: the whole text replaced) onto the tracked holes."""
    state = ls.feedback
    if not state.shown:
        return
    entries = [e for e in state.shown.values() if e.doc is doc]
    if not entries:
        return
    if change is None:
        change = whole_change(old, doc.source.data)
    start, old_end, new_end = change.start, change.old_end, change.new_end
    delta = new_end - old_end
    for entry in entries:
        lo, hi = entry.start, entry.end
        inside = start < hi and old_end > lo if start != old_end else lo < start < hi
        if entry.touched:  # what the user writes there grows at either end
            inside = inside or lo <= start <= hi or lo <= old_end <= hi
        if not inside:
            if old_end <= lo:
                entry.start, entry.end = lo + delta, hi + delta
            continue
        if b"\n" in old[start:lo] or b"\n" in old[hi:old_end]:
            _forget(state, entry)  # deleted with the lines around it: not a fill
            continue
        entry.start = min(lo, start)
        entry.end = hi + delta if hi > old_end else new_end
        entry.touched = True
        entry.cancel()
        entry.timer = asyncio.get_running_loop().call_later(
            state.settle_seconds, _settled, ls, entry
        )


def _settled(ls: LiftServer, entry: ShownHole) -> None:
    entry.timer = None
    task = asyncio.ensure_future(resolve(ls, entry))
    ls.feedback.tasks.add(task)
    task.add_done_callback(ls.feedback.tasks.discard)


def chosen_text(source: SourceDocument, start: int, end: int) -> str:
    """What now stands where a hole was: the largest node starting at the hole's old
    start (whitespace skipped) that stays within what was written there."""
    raw = source.data[start:end]
    s = start + len(raw) - len(raw.lstrip())
    e = start + len(raw.rstrip())
    if e <= s:
        return ""
    node: Node | None = source.tree.root_node.named_descendant_for_byte_range(s, s)
    if node is None or node.start_byte != s or node.end_byte > e:
        return decode(source.data[s:e])[:MAX_CHOSEN_CHARS]
    while (
        node.parent is not None
        and node.parent.type not in _STOP
        and node.parent.start_byte == s
        and node.parent.end_byte <= e
    ):
        node = node.parent
    return decode(source.data[node.start_byte : node.end_byte])[:MAX_CHOSEN_CHARS]


async def resolve(ls: LiftServer, entry: ShownHole) -> int:
    """Record a touched hole that is gone; the number of rows written."""
    state = ls.feedback
    if state.shown.get(entry.key) is not entry or not entry.touched:
        return 0
    doc = entry.doc
    try:
        hole = doc.analysis(ls.settings_for(doc)).hole_at(entry.start, on_request=True)
    except Exception:
        log.exception("re-analysing %s for feedback", doc.uri)
        return 0
    if hole is not None and hole.start == entry.start:  # still a hole (undone, renamed)
        entry.start, entry.end, entry.touched = hole.start, hole.end, False
        return 0
    chosen = chosen_text(doc.source, entry.start, entry.end)
    if not chosen:
        return 0  # erased, nothing written yet: wait for the next edit
    _forget(state, entry)
    squeezed = "".join(chosen.split())
    texts = ["".join(s.text.split()) for s in entry.suggestions]
    if squeezed in texts:  # written by hand, or applied without running the command
        return await _record(ls, entry, texts.index(squeezed), None)
    return await _record(ls, entry, None, chosen)


async def flush(ls: LiftServer) -> int:
    """Record every touched hole now (before the store closes); the rows written."""
    written = 0
    for entry in list(ls.feedback.shown.values()):
        if entry.touched:
            entry.cancel()
            written += await resolve(ls, entry)
    pending = list(ls.feedback.tasks)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return written


def accept_command(uri: str, key: str, index: int) -> lsp.Command:
    return lsp.Command(
        title="Accept suggestion", command=ACCEPT_SUGGESTION, arguments=[uri, key, index]
    )
