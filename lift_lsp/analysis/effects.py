"""Side effects of one function, read from its own body (nested scopes are analysed on their own).

Kinds (the IR's ``EffectKind``): ``io``, ``filesystem``, ``network``, ``subprocess``,
``global_state``, ``mutation`` (of an argument), ``time`` and ``random``.

Callees are resolved through the module's imports (``import subprocess as sp`` makes
``sp.run`` ``subprocess.run``; ``from os import system`` makes ``system`` ``os.system``),
while a parameter or a local variable of the same name shadows the import. A few receiver
types are inferred from what the function itself shows: ``Path(p)``, ``socket.socket()``,
``requests.Session()``, ``logging.getLogger()`` (directly, through a simple local or
module-level assignment, a ``with … as`` target or a parameter annotation), so that
``Path(p).write_text(...)`` or ``session.get(url)`` are recognised.

Confidence numbers are heuristic strengths of the evidence, ordered by how much could
make the finding wrong. They are *not* calibrated probabilities:

* ``0.95`` (:data:`RESOLVED`): the callee resolves through an import, or is an unshadowed
  builtin (``open``, ``print``, ``input``); a ``global``/``nonlocal`` name that is
  assigned. Only monkey-patching at run time can make these wrong.
* ``0.9`` (:data:`SYNTACTIC`): a subscript/attribute write or ``del`` on an argument or a
  module-level name (certain from the syntax; a conditional re-binding earlier in the
  function could make it a local copy).
* ``0.85`` (:data:`INFERRED`): a receiver whose type was inferred from an assignment or an
  annotation, and mutating method names (``append``, ``update``, ...) on arguments or
  module-level names (the object might not be a container).
* ``0.6`` (:data:`NAME_ONLY`): only a method name that is distinctive enough on its own
  (``.write_text(``, ``.mkdir(``) on a receiver of unknown type, or a logging method on a
  receiver called ``logger``/``log``. Generic names (``.send(``, ``.get(``, ``.open(``,
  ``.exists(``) on unknown receivers are not reported at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from lift_lsp.analysis.context import FunctionUnit
from lift_lsp.holes.defs import (
    ModuleIndex,
    ParamKind,
    decorator_names,
    parameters,
    return_annotation,
)
from lift_lsp.syntax.nodes import definition_name, owning_class, text

RESOLVED = 0.95
SYNTACTIC = 0.9
INFERRED = 0.85
NAME_ONLY = 0.6


def _words(names: str) -> list[str]:
    return names.split()


@dataclass(frozen=True)
class EffectFinding:
    kind: str
    detail: str
    confidence: float


# -- vocabulary ------------------------------------------------------------------------

_BUILTINS = {"open": "filesystem", "print": "io", "input": "io"}

_EXACT: dict[str, str] = {
    # io
    "getpass.getpass": "io",
    "pprint.pprint": "io",
    "pprint.pp": "io",
    "click.echo": "io",
    "click.secho": "io",
    "click.prompt": "io",
    "click.confirm": "io",
    "typer.echo": "io",
    "typer.secho": "io",
    "typer.prompt": "io",
    "typer.confirm": "io",
    "rich.print": "io",
    # filesystem
    **dict.fromkeys(
        [
            "io.open",
            "codecs.open",
            "gzip.open",
            "bz2.open",
            "lzma.open",
            "tarfile.open",
            "zipfile.ZipFile",
            "fileinput.input",
            "glob.glob",
            "glob.iglob",
            "shutil.which",
            "compileall.compile_file",
            "compileall.compile_dir",
            "py_compile.compile",
        ],
        "filesystem",
    ),
    **{
        f"os.{name}": "filesystem"
        for name in _words(
            "open fdopen remove unlink rename renames replace mkdir makedirs rmdir "
            "removedirs listdir scandir walk fwalk stat lstat chmod lchmod chown lchown "
            "symlink link readlink truncate utime access mkfifo"
        )
    },
    **{
        f"os.path.{name}": "filesystem"
        for name in _words(
            "exists lexists isfile isdir islink ismount getsize getmtime getatime getctime samefile"
        )
    },
    **{
        f"shutil.{name}": "filesystem"
        for name in _words(
            "copy copy2 copyfile copyfileobj copymode copystat copytree rmtree move "
            "make_archive unpack_archive disk_usage chown"
        )
    },
    **{
        f"tempfile.{name}": "filesystem"
        for name in _words(
            "mkstemp mkdtemp NamedTemporaryFile TemporaryFile TemporaryDirectory "
            "SpooledTemporaryFile gettempdir"
        )
    },
    # network
    **{
        f"{lib}.{name}": "network"
        for lib in ("requests", "httpx")
        for name in _words("get post put patch delete head options request stream")
    },
    **dict.fromkeys(
        [
            "aiohttp.request",
            "urllib.request.urlopen",
            "urllib.request.urlretrieve",
            "socket.socket",
            "socket.create_connection",
            "socket.create_server",
            "socket.getaddrinfo",
            "socket.gethostbyname",
            "socket.gethostbyname_ex",
            "socket.gethostbyaddr",
            "socket.getfqdn",
            "smtplib.SMTP",
            "smtplib.SMTP_SSL",
            "smtplib.LMTP",
            "ftplib.FTP",
            "ftplib.FTP_TLS",
            "imaplib.IMAP4",
            "imaplib.IMAP4_SSL",
            "poplib.POP3",
            "poplib.POP3_SSL",
            "xmlrpc.client.ServerProxy",
            "websockets.connect",
        ],
        "network",
    ),
    # subprocess
    **{
        f"subprocess.{name}": "subprocess"
        for name in _words("run Popen call check_call check_output getoutput getstatusoutput")
    },
    **dict.fromkeys(
        [
            "os.system",
            "os.popen",
            "os.fork",
            "os.forkpty",
            "os.startfile",
            "asyncio.create_subprocess_exec",
            "asyncio.create_subprocess_shell",
            "pty.spawn",
        ],
        "subprocess",
    ),
    # time
    **{
        f"time.{name}": "time"
        for name in _words(
            "sleep time time_ns monotonic monotonic_ns perf_counter perf_counter_ns "
            "process_time process_time_ns thread_time thread_time_ns"
        )
    },
    **dict.fromkeys(
        [
            "datetime.datetime.now",
            "datetime.datetime.utcnow",
            "datetime.datetime.today",
            "datetime.date.today",
            "asyncio.sleep",
            "arrow.now",
            "arrow.utcnow",
            "pendulum.now",
        ],
        "time",
    ),
    # random
    **dict.fromkeys(["uuid.uuid1", "uuid.uuid4", "os.urandom", "os.getrandom"], "random"),
    **{
        f"secrets.{name}": "random"
        for name in _words("token_bytes token_hex token_urlsafe choice randbelow randbits")
    },
    # global state
    **dict.fromkeys(
        [
            "random.seed",
            "random.setstate",
            "numpy.random.seed",
            "os.putenv",
            "os.unsetenv",
            "os.chdir",
            "os.umask",
            "sys.setrecursionlimit",
            "sys.settrace",
            "sys.setprofile",
            "logging.basicConfig",
            "logging.disable",
            "warnings.filterwarnings",
            "warnings.simplefilter",
            "locale.setlocale",
            "signal.signal",
            "socket.setdefaulttimeout",
        ],
        "global_state",
    ),
}

#: Reads the clock only when called without arguments (``time.localtime()``).
_CLOCK_WITHOUT_ARGS = frozenset({"time.localtime", "time.gmtime", "time.ctime", "time.asctime"})

_LOG_METHODS = frozenset(_words("debug info warning warn error exception critical fatal log"))
_STREAM_METHODS = frozenset(_words("write writelines flush read readline readlines"))
_STREAMS = ("sys.stdout", "sys.stderr", "sys.stdin", "sys.__stdout__", "sys.__stderr__")

_PATH = "pathlib.Path"
_SESSION_METHODS = frozenset(
    _words("get post put patch delete head options request send stream ws_connect")
)
#: Receiver type → (effect kind, the methods that have it).
_TYPE_METHODS: dict[str, tuple[str, frozenset[str]]] = {
    _PATH: (
        "filesystem",
        frozenset(
            _words(
                "read_text write_text read_bytes write_bytes open mkdir rmdir unlink touch "
                "exists is_file is_dir is_symlink is_mount is_socket is_fifo "
                "is_block_device is_char_device iterdir glob rglob walk stat lstat rename "
                "replace chmod lchmod symlink_to hardlink_to samefile owner group readlink"
            )
        ),
    ),
    "socket.socket": (
        "network",
        frozenset(
            _words(
                "connect connect_ex send sendall sendto sendfile recv recvfrom recv_into "
                "recvfrom_into accept bind listen"
            )
        ),
    ),
    "requests.Session": ("network", _SESSION_METHODS),
    "httpx.Client": ("network", _SESSION_METHODS),
    "aiohttp.ClientSession": ("network", _SESSION_METHODS),
    "http.client.HTTPConnection": (
        "network",
        frozenset(_words("request getresponse connect putrequest endheaders send")),
    ),
    "smtplib.SMTP": (
        "network",
        frozenset(_words("connect login sendmail send_message ehlo helo starttls quit")),
    ),
    "ftplib.FTP": (
        "network",
        frozenset(
            _words(
                "connect login retrbinary retrlines storbinary storlines nlst dir cwd mkd "
                "rmd delete rename"
            )
        ),
    ),
    "urllib.request.OpenerDirector": ("network", frozenset({"open"})),
    "logging.Logger": ("io", _LOG_METHODS),
}
#: Methods of a known type that change process-wide state.
_TYPE_GLOBAL: dict[str, frozenset[str]] = {
    "logging.Logger": frozenset(_words("setLevel addHandler removeHandler addFilter removeFilter")),
}
#: ``cast(T, value)`` has the type of ``value`` as far as effects go.
_CASTS = frozenset({"typing.cast", "typing_extensions.cast"})
#: Constructors (and factories) whose result has a type of :data:`_TYPE_METHODS`.
_CONSTRUCTORS: dict[str, str] = {
    **{t: t for t in _TYPE_METHODS},
    "pathlib.PosixPath": _PATH,
    "pathlib.WindowsPath": _PATH,
    "pathlib.Path.cwd": _PATH,
    "pathlib.Path.home": _PATH,
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.AsyncClient": "httpx.Client",
    "http.client.HTTPSConnection": "http.client.HTTPConnection",
    "smtplib.SMTP_SSL": "smtplib.SMTP",
    "smtplib.LMTP": "smtplib.SMTP",
    "ftplib.FTP_TLS": "ftplib.FTP",
    "socket.create_connection": "socket.socket",
    "socket.create_server": "socket.socket",
    "socket.fromfd": "socket.socket",
    "logging.getLogger": "logging.Logger",
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
}
#: Path methods/attributes that give another Path.
_PATH_TO_PATH = frozenset(
    _words(
        "parent with_suffix with_name with_stem joinpath resolve absolute expanduser relative_to"
    )
)
#: Path-only method names, reported (weakly) even on receivers of unknown type.
_PATH_ONLY_NAMES = frozenset(
    _words(
        "read_text write_text read_bytes write_bytes mkdir rmdir unlink touch iterdir rglob "
        "symlink_to hardlink_to is_file is_dir"
    )
)
_LOGGER_NAME = re.compile(r"_*(log|logger)", re.IGNORECASE)

_MUTATORS = frozenset(
    _words(
        "append extend insert pop remove clear sort reverse add discard update setdefault "
        "popitem difference_update intersection_update symmetric_difference_update "
        "appendleft extendleft popleft"
    )
)
#: Functions that mutate their first argument.
_MUTATES_FIRST_ARG = frozenset(
    [
        "random.shuffle",
        "heapq.heappush",
        "heapq.heappop",
        "heapq.heapify",
        "heapq.heapreplace",
        "heapq.heappushpop",
        "bisect.insort",
        "bisect.insort_left",
        "bisect.insort_right",
    ]
)
_GLOBAL_OBJECTS = {
    "os.environ": "writes os.environ",
    "sys.path": "modifies sys.path",
    "sys.modules": "modifies sys.modules",
    "sys.argv": "modifies sys.argv",
    "sys.meta_path": "modifies sys.meta_path",
    "sys.path_hooks": "modifies sys.path_hooks",
}

_NESTED_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})
_UNPACKING = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "tuple",
        "list",
        "parenthesized_expression",
        "expression_list",
        "list_splat_pattern",
        "list_splat",
        "as_pattern_target",
    }
)


# -- traversal -------------------------------------------------------------------------


def own_nodes(func: Node) -> Iterator[Node]:
    """The nodes of ``func``'s body in pre-order, iteratively, skipping nested scopes.

    What a nested definition evaluates in the enclosing scope is kept: decorators,
    parameter defaults and base classes. Bodies of nested functions, classes and
    lambdas are not entered.
    """
    body = func.child_by_field_name("body")
    if body is None:
        return
    stack = [body]
    while stack:
        node = stack.pop()
        yield node
        if node.type in _NESTED_SCOPES:
            children = _evaluated_by_definition(node)
        else:
            children = node.named_children
        stack.extend(reversed(children))


def _evaluated_by_definition(node: Node) -> list[Node]:
    if node.type == "class_definition":
        bases = node.child_by_field_name("superclasses")
        return [bases] if bases is not None else []
    params = node.child_by_field_name("parameters")
    if params is None:
        return []
    return [
        value
        for child in params.named_children
        if (value := child.child_by_field_name("value")) is not None
    ]


def _flatten(target: Node) -> Iterator[Node]:
    """The leaves of an assignment target: identifiers, subscripts, attributes."""
    stack = [target]
    while stack:
        node = stack.pop()
        if node.type in _UNPACKING:
            stack.extend(reversed(node.named_children))
        else:
            yield node


def _root(node: Node) -> Node | None:
    """``a`` for ``a.b[c].d``; None when the chain starts with a call or literal."""
    while node.type in ("subscript", "attribute", "parenthesized_expression"):
        if node.type == "parenthesized_expression":
            inner = node.named_children[0] if node.named_children else None
        else:
            inner = node.child_by_field_name("value" if node.type == "subscript" else "object")
        if inner is None:
            return None
        node = inner
    return node if node.type == "identifier" else None


def _field(node: Node, name: str) -> Node | None:
    return node.child_by_field_name(name)


# -- names -----------------------------------------------------------------------------


class _Names:
    """Resolution of names to what they import, and a little type inference."""

    def __init__(
        self,
        imports: dict[str, str],
        module_defined: set[str],
        local: set[str],
        outer_types: dict[str, tuple[str, float]],
        *,
        index: ModuleIndex | None = None,
        owner: str | None = None,
    ) -> None:
        self.imports = imports
        self.module_defined = module_defined
        self.local = local
        self.outer_types = outer_types
        self.types: dict[str, tuple[str, float]] = {}
        #: Where return annotations of the module's own functions and methods are found.
        self.index = index
        self.owner = owner

    def resolve(self, node: Node) -> str | None:
        """``subprocess.run`` for ``sp.run`` after ``import subprocess as sp``."""
        parts: list[str] = []
        while node.type == "attribute":
            attr = _field(node, "attribute")
            obj = _field(node, "object")
            if attr is None or obj is None:
                return None
            parts.append(text(attr))
            node = obj
        if node.type != "identifier":
            return None
        name = text(node)
        if name in self.local:
            return None
        if name in self.imports:
            base = self.imports[name]
        elif name in _BUILTINS and name not in self.module_defined:
            base = f"builtins.{name}"
        else:
            return None
        return ".".join([base, *reversed(parts)])

    def type_of(self, node: Node) -> tuple[str, float] | None:
        """The known type (of :data:`_TYPE_METHODS`) of an expression, with a strength.

        Iterative: ``Path(a).parent / "b"`` chains are followed down to their start.
        """
        must_be_path = False
        found: tuple[str, float] | None = None
        while True:
            kind = node.type
            if kind in ("parenthesized_expression", "await") and node.named_children:
                node = node.named_children[0]
                continue
            if kind == "identifier":
                name = text(node)
                if name in self.types:
                    found = self.types[name]
                elif name not in self.local:
                    found = self.outer_types.get(name)
                break
            if kind == "call":
                fn = _field(node, "function")
                if fn is None:
                    break
                q = self.resolve(fn)
                if q in _CASTS:
                    args = _field(node, "arguments")
                    if args is None or len(args.named_children) != 2:
                        break
                    node = args.named_children[1]
                    continue
                if q is not None:
                    t = _CONSTRUCTORS.get(q)
                    found = (t, RESOLVED) if t is not None else None
                    break
                declared = self._declared_return(fn)
                if declared is not None:
                    found = (declared, INFERRED)
                    break
                attr = _field(fn, "attribute") if fn.type == "attribute" else None
                obj = _field(fn, "object") if fn.type == "attribute" else None
                if attr is None or obj is None or text(attr) not in _PATH_TO_PATH:
                    break
                must_be_path, node = True, obj
            elif kind == "attribute":
                attr, obj = _field(node, "attribute"), _field(node, "object")
                if attr is None or obj is None or text(attr) != "parent":
                    break
                must_be_path, node = True, obj
            elif kind == "binary_operator":
                op, left = _field(node, "operator"), _field(node, "left")
                if op is None or left is None or op.type != "/":
                    break
                must_be_path, node = True, left
            else:
                break
        if found is not None and must_be_path and found[0] != _PATH:
            return None
        return found

    def _declared_return(self, fn: Node) -> str | None:
        """The known type a function of this module (or a method of ``self``) declares."""
        if self.index is None:
            return None
        definition: Node | None = None
        if fn.type == "identifier" and text(fn) not in self.local:
            definition = self.index.function(text(fn))
        elif fn.type == "attribute" and self.owner is not None:
            obj, attr = _field(fn, "object"), _field(fn, "attribute")
            info = self.index.classes.get(self.owner)
            if (
                obj is not None
                and attr is not None
                and info is not None
                and obj.type == "identifier"
                and text(obj) in ("self", "cls")
            ):
                definition = info.method(text(attr))
        if definition is None:
            return None
        return self.annotation_type(return_annotation(definition))

    def annotation_type(self, annotation: str | None) -> str | None:
        """``Path`` / ``Path | None`` / ``Optional[pathlib.Path]`` → ``pathlib.Path``."""
        if not annotation:
            return None
        ann = annotation.strip()
        match = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", ann)
        if match:
            ann = match.group(1)
        found: set[str] = set()
        for part in ann.split("|"):
            dotted = part.strip()
            if not re.fullmatch(r"[A-Za-z_][\w.]*", dotted):
                continue
            head, _, rest = dotted.partition(".")
            if head not in self.imports:
                continue
            q = self.imports[head] + (f".{rest}" if rest else "")
            if q in _CONSTRUCTORS:
                found.add(_CONSTRUCTORS[q])
        return found.pop() if len(found) == 1 else None


def _module_level(unit: FunctionUnit) -> tuple[set[str], set[str], dict[str, tuple[str, float]]]:
    """Assigned names, all defined names, and known types of module-level names."""
    root = unit.module.doc.tree.root_node
    assigned: set[str] = set()
    defined: set[str] = set()
    names = _Names(unit.module.imports, defined, set(), {})
    stack = list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("function_definition", "class_definition"):
            defined.add(text(name) if (name := _field(node, "name")) is not None else "")
        elif kind == "decorated_definition":
            definition = _field(node, "definition")
            if definition is not None:
                stack.append(definition)
        elif kind == "expression_statement":
            for statement in node.named_children:
                expr = statement
                while expr.type == "assignment":
                    left, right = _field(expr, "left"), _field(expr, "right")
                    if left is None:
                        break
                    for leaf in _flatten(left):
                        if leaf.type == "identifier":
                            assigned.add(text(leaf))
                    if left.type == "identifier" and right is not None:
                        found = names.type_of(right)
                        if found is not None:
                            names.types[text(left)] = (found[0], min(found[1], INFERRED))
                    if right is None:
                        break
                    expr = right
        elif kind in (
            "if_statement",
            "elif_clause",
            "else_clause",
            "try_statement",
            "except_clause",
            "finally_clause",
            "with_statement",
            "block",
        ):
            stack.extend(reversed(node.named_children))
    defined |= assigned
    return assigned, defined, names.types


# -- the analysis ----------------------------------------------------------------------


class _Detector:
    def __init__(self, unit: FunctionUnit) -> None:
        self.unit = unit
        self.func = unit.node
        self.nodes = list(own_nodes(self.func))
        self.found: list[tuple[int, EffectFinding]] = []

        params = parameters(self.func)
        self.param_names = {p.name for p in params}
        self.annotations = {p.name: p.annotation for p in params if p.annotation is not None}
        receiver = unit.is_method and "staticmethod" not in decorator_names(self.func)
        self.args = {
            p.name
            for i, p in enumerate(params)
            if p.kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
            and p.name not in ("self", "cls")
            and not (receiver and i == 0)
        }

        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.bindings: dict[str, list[int]] = {}
        self.deleted: set[str] = set()
        self._collect_bindings()
        local = (set(self.bindings) | self.param_names) - self.declared_global
        local -= self.declared_nonlocal

        facts = unit.module.memo.get("effects.module_level")
        if facts is None:
            facts = unit.module.memo["effects.module_level"] = _module_level(unit)
        module_assigned, module_defined, module_types = facts
        self.module_names = module_assigned | self.declared_global
        owner = owning_class(self.func)
        self.names = _Names(
            unit.module.imports,
            module_defined,
            local,
            module_types,
            index=unit.module.index,
            owner=definition_name(owner) if owner is not None else None,
        )
        for p in params:
            t = self.names.annotation_type(p.annotation)
            if t is not None:
                self.names.types[p.name] = (t, INFERRED)
        self._collect_local_types()

    # -- bindings ------------------------------------------------------------------
    def _bind(self, target: Node) -> None:
        for leaf in _flatten(target):
            if leaf.type == "identifier":
                self.bindings.setdefault(text(leaf), []).append(leaf.start_byte)

    def _collect_bindings(self) -> None:
        for node in self.nodes:
            kind = node.type
            if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
                left = _field(node, "left")
                if left is not None:
                    self._bind(left)
            elif kind in {"as_pattern_target", "named_expression"}:
                target = node if kind == "as_pattern_target" else _field(node, "name")
                if target is not None:
                    self._bind(target)
            elif kind in ("function_definition", "class_definition"):
                name = _field(node, "name")
                if name is not None:
                    self._bind(name)
            elif kind == "delete_statement":
                for target in node.named_children:
                    for leaf in _flatten(target):
                        if leaf.type == "identifier":
                            self.deleted.add(text(leaf))
            elif kind == "global_statement":
                self.declared_global.update(text(c) for c in node.named_children)
            elif kind == "nonlocal_statement":
                self.declared_nonlocal.update(text(c) for c in node.named_children)

    def _collect_local_types(self) -> None:
        for node in self.nodes:
            target: Node | None = None
            value: Node | None = None
            if node.type == "assignment":
                target, value = _field(node, "left"), _field(node, "right")
            elif node.type == "as_pattern":
                target, value = _field(node, "alias"), node.named_children[0]
                if target is not None and target.named_children:
                    target = target.named_children[0]
            if target is None or value is None or target.type != "identifier":
                continue
            found = self.names.type_of(value)
            if found is not None:
                self.names.types.setdefault(text(target), (found[0], min(found[1], INFERRED)))

    def _annotated_otherwise(self, receiver: Node) -> bool:
        """A parameter annotated as something path-unlike (``formatter: HelpFormatter``)."""
        if receiver.type != "identifier":
            return False
        annotation = self.annotations.get(text(receiver))
        return annotation is not None and not re.search(r"Path|Traversable|Any", annotation)

    def _is_argument(self, name: str, at: int) -> bool:
        """A parameter not re-bound before ``at`` (``items = list(items)`` makes a copy)."""
        if name not in self.args:
            return False
        return not any(b < at for b in self.bindings.get(name, ()))

    def _is_module_level(self, name: str) -> bool:
        if name in self.param_names:
            return False
        if name in self.declared_global:
            return True
        return name in self.module_names and name not in self.bindings

    # -- findings ------------------------------------------------------------------
    def add(self, node: Node, kind: str, detail: str, confidence: float) -> None:
        self.found.append((node.start_byte, EffectFinding(kind, detail, confidence)))

    def run(self) -> list[EffectFinding]:
        for node in self.nodes:
            kind = node.type
            if kind == "call":
                self._call(node)
            elif kind in ("assignment", "augmented_assignment"):
                left = _field(node, "left")
                if left is not None:
                    self._write(left, deleting=False)
            elif kind == "delete_statement":
                for target in node.named_children:
                    self._write(target, deleting=True)
            elif kind in ("global_statement", "nonlocal_statement"):
                word = "global" if kind == "global_statement" else "nonlocal"
                for child in node.named_children:
                    name = text(child)
                    if name in self.bindings or name in self.deleted:
                        self.add(node, "global_state", f"assigns {word} {name}", RESOLVED)
        self.found.sort(key=lambda item: item[0])
        seen: set[tuple[str, str]] = set()
        result = []
        for _, finding in self.found:
            key = (finding.kind, finding.detail)
            if key not in seen:
                seen.add(key)
                result.append(finding)
        return result

    def _write(self, target: Node, *, deleting: bool) -> None:
        for leaf in _flatten(target):
            if leaf.type not in ("subscript", "attribute"):
                continue
            is_item = leaf.type == "subscript"
            base = _field(leaf, "value" if is_item else "object")
            if base is None:
                continue
            full = self.names.resolve(leaf) if not is_item else None
            q = self.names.resolve(base)
            if full is not None and full in _GLOBAL_OBJECTS:
                self.add(leaf, "global_state", _GLOBAL_OBJECTS[full], RESOLVED)
                continue
            if q is not None and not q.startswith("builtins."):
                detail = _GLOBAL_OBJECTS.get(q, f"mutates {q}") if is_item else f"sets {full}"
                self.add(leaf, "global_state", detail, RESOLVED)
                continue
            root = _root(base)
            if root is None:
                continue
            name = text(root)
            if self._is_argument(name, leaf.start_byte):
                verb = "deletes from" if deleting else "writes to"
                self.add(leaf, "mutation", f"{verb} argument {name}", SYNTACTIC)
            elif self._is_module_level(name):
                self.add(leaf, "global_state", f"mutates module-level {name}", SYNTACTIC)

    def _call(self, call: Node) -> None:
        fn = _field(call, "function")
        if fn is None:
            return
        q = self.names.resolve(fn)
        if q is not None:
            self._resolved_call(call, q)
            return
        if fn.type != "attribute":
            return
        attr, obj = _field(fn, "attribute"), _field(fn, "object")
        if attr is None or obj is None:
            return
        method = text(attr)
        receiver = self.names.type_of(obj)
        if receiver is not None:
            kind, methods = _TYPE_METHODS[receiver[0]]
            if method in methods:
                self.add(call, kind, f"calls {receiver[0]}.{method}", receiver[1])
            elif method in _TYPE_GLOBAL.get(receiver[0], ()):
                self.add(call, "global_state", f"calls {receiver[0]}.{method}", receiver[1])
            return
        if method in _MUTATORS:
            root = _root(obj)
            if root is not None:
                name = text(root)
                if self._is_argument(name, call.start_byte):
                    self.add(call, "mutation", f"mutates argument {name} via .{method}()", INFERRED)
                elif self._is_module_level(name):
                    self.add(call, "global_state", f"mutates module-level {name}", INFERRED)
            return
        if method in _PATH_ONLY_NAMES and not self._annotated_otherwise(obj):
            self.add(call, "filesystem", f"calls .{method}", NAME_ONLY)
        elif method in _LOG_METHODS:
            self._logger_call(call, obj, method)

    def _logger_call(self, call: Node, receiver: Node, method: str) -> None:
        """``logger.info(...)`` on a receiver of unknown type called ``logger``/``log``."""
        last = receiver if receiver.type == "identifier" else _field(receiver, "attribute")
        if last is not None and last.type == "identifier":
            name = text(last)
            if _LOGGER_NAME.fullmatch(name):
                self.add(call, "io", f"calls {name}.{method}", NAME_ONLY)

    def _resolved_call(self, call: Node, q: str) -> None:
        shown = q.removeprefix("builtins.")
        kind = _classify(q, call)
        if kind is not None:
            self.add(call, kind, f"calls {shown}", RESOLVED)
        else:
            fn = _field(call, "function")
            obj = _field(fn, "object") if fn is not None and fn.type == "attribute" else None
            method = q.rpartition(".")[2]
            if obj is not None and method in _LOG_METHODS:
                self._logger_call(call, obj, method)  # an imported ``logger`` object
        if q in _MUTATES_FIRST_ARG:
            args = _field(call, "arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            root = _root(first) if first is not None else None
            if root is not None and self._is_argument(text(root), call.start_byte):
                self.add(call, "mutation", f"mutates argument {text(root)} via {q}", RESOLVED)
        head, _, method = q.rpartition(".")
        if method in _MUTATORS and (head in _GLOBAL_OBJECTS or _imported_constant(head)):
            self.add(call, "global_state", _GLOBAL_OBJECTS.get(head, f"mutates {head}"), RESOLVED)


def _imported_constant(q: str) -> bool:
    """``pkg.REGISTRY``: an ALL_CAPS module attribute (a module-level container)."""
    last = q.rpartition(".")[2]
    return "." in q and last.isupper()


def _classify(q: str, call: Node) -> str | None:
    if q.startswith("builtins."):
        return _BUILTINS.get(q.removeprefix("builtins."))
    if q in _EXACT:
        return _EXACT[q]
    if q in _CLOCK_WITHOUT_ARGS:
        args = _field(call, "arguments")
        return "time" if args is not None and not args.named_children else None
    head, _, last = q.rpartition(".")
    if head in _TYPE_METHODS and last in _TYPE_METHODS[head][1]:
        return _TYPE_METHODS[head][0]
    if q.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
        return "subprocess"
    if head == "random" or q.startswith("numpy.random."):
        return "random"
    if head == "logging" and last in _LOG_METHODS:
        return "io"
    if head.startswith(_STREAMS) and last in _STREAM_METHODS:
        return "io"
    return None


def detect_effects(unit: FunctionUnit) -> list[EffectFinding]:
    """The effects of ``unit``'s own body: one finding per (kind, detail), in source order."""
    return _Detector(unit).run()
