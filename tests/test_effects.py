"""Side effects of a function's own body: kinds, alias resolution, no false alarms."""

from __future__ import annotations

import textwrap

from lift_lsp.analysis.context import FunctionUnit, ModuleContext
from lift_lsp.analysis.effects import (
    INFERRED,
    NAME_ONLY,
    RESOLVED,
    EffectFinding,
    detect_effects,
)
from lift_lsp.syntax.document import SourceDocument


def units(src: str) -> dict[str, FunctionUnit]:
    ctx = ModuleContext(SourceDocument(textwrap.dedent(src)), "m.py")
    return {u.qualname: u for u in ctx.functions()}


def effects(src: str, name: str = "f") -> list[EffectFinding]:
    return detect_effects(units(src)[name])


def pairs(src: str, name: str = "f") -> list[tuple[str, str]]:
    return [(e.kind, e.detail) for e in effects(src, name)]


def test_builtins_are_io_and_filesystem() -> None:
    found = effects(
        """
        def f(path):
            name = input("name? ")
            print(name)
            with open(path) as fh:
                return fh.read()
        """
    )
    assert [(e.kind, e.detail, e.confidence) for e in found] == [
        ("io", "calls input", RESOLVED),
        ("io", "calls print", RESOLVED),
        ("filesystem", "calls open", RESOLVED),
    ]


def test_shadowed_builtin_is_not_an_effect() -> None:
    src = """
        def open(x):
            return x

        def f(print):
            print("x")
            return open(1)
        """
    assert effects(src) == []


def test_aliases_resolve_through_imports() -> None:
    src = """
        import subprocess as sp
        from os import system
        from pathlib import Path
        import os.path as osp

        def f(cmd, p):
            sp.run(cmd)
            system("ls")
            Path(p).write_text("x")
            return osp.exists(p)
        """
    assert pairs(src) == [
        ("subprocess", "calls subprocess.run"),
        ("subprocess", "calls os.system"),
        ("filesystem", "calls pathlib.Path.write_text"),
        ("filesystem", "calls os.path.exists"),
    ]


def test_parameter_shadows_an_import() -> None:
    src = """
        import time

        def f(time):
            time.sleep(1)
        """
    assert effects(src) == []


def test_network_time_random_kinds() -> None:
    src = """
        import requests, random, uuid, secrets
        from datetime import datetime
        from urllib.request import urlopen

        def f(url):
            requests.get(url)
            urlopen(url)
            datetime.now()
            random.choice([1, 2])
            uuid.uuid4()
            secrets.token_hex()
        """
    assert pairs(src) == [
        ("network", "calls requests.get"),
        ("network", "calls urllib.request.urlopen"),
        ("time", "calls datetime.datetime.now"),
        ("random", "calls random.choice"),
        ("random", "calls uuid.uuid4"),
        ("random", "calls secrets.token_hex"),
    ]


def test_unknown_send_is_not_reported_but_a_known_socket_is() -> None:
    src = """
        import socket
        import requests

        def f(conn, data):
            conn.send(data)
            conn.get("x")

        def g(host, data):
            s = socket.create_connection((host, 80))
            s.send(data)
            with requests.Session() as session:
                session.get(host)
        """
    assert effects(src, "f") == []
    assert pairs(src, "g") == [
        ("network", "calls socket.create_connection"),
        ("network", "calls socket.socket.send"),
        ("network", "calls requests.Session.get"),
    ]
    assert effects(src, "g")[1].confidence == INFERRED


def test_path_method_on_unknown_receiver_is_weak_evidence() -> None:
    src = """
        from pathlib import Path

        def f(target, formatter: HelpFormatter, p: Path):
            target.write_text("x")
            target.exists()
            formatter.write_text("help")
            p.mkdir()
        """
    found = effects(src)
    assert [(e.kind, e.detail, e.confidence) for e in found] == [
        ("filesystem", "calls .write_text", NAME_ONLY),
        ("filesystem", "calls pathlib.Path.mkdir", INFERRED),
    ]


def test_subprocess_variants() -> None:
    src = """
        import os, asyncio
        import subprocess

        async def f(cmd):
            subprocess.check_output(cmd)
            os.execvp(cmd[0], cmd)
            await asyncio.create_subprocess_exec(*cmd)
            raise subprocess.CalledProcessError(1, cmd)
        """
    assert pairs(src) == [
        ("subprocess", "calls subprocess.check_output"),
        ("subprocess", "calls os.execvp"),
        ("subprocess", "calls asyncio.create_subprocess_exec"),
    ]


def test_argument_mutation_vs_local_mutation() -> None:
    src = """
        def f(items, mapping, obj, *args, **kwargs):
            local = []
            local.append(1)
            items.append(2)
            mapping["k"] = 1
            obj.attr = 3
            del mapping["k"]
            kwargs.pop("x", None)
        """
    assert pairs(src) == [
        ("mutation", "mutates argument items via .append()"),
        ("mutation", "writes to argument mapping"),
        ("mutation", "writes to argument obj"),
        ("mutation", "deletes from argument mapping"),
    ]


def test_rebound_argument_is_a_local_copy() -> None:
    src = """
        def f(items):
            items = list(items)
            items.append(1)
            return items
        """
    assert effects(src) == []


def test_self_and_cls_mutation_is_not_reported() -> None:
    src = """
        class C:
            def m(self, other):
                self.x = 1
                self.items.append(2)
                other.y = 3

            @classmethod
            def k(cls):
                cls.registry["a"] = 1
        """
    assert pairs(src, "C.m") == [("mutation", "writes to argument other")]
    assert effects(src, "C.k") == []


def test_global_state() -> None:
    src = """
        import os, sys, random
        CACHE = {}
        REGISTRY = []
        COUNTER = 0

        def f(key, value):
            global COUNTER
            COUNTER += 1
            CACHE[key] = value
            REGISTRY.append(value)
            os.environ["X"] = "1"
            sys.path.insert(0, "here")
            random.seed(0)

        def g():
            global COUNTER
            return COUNTER
        """
    assert pairs(src) == [
        ("global_state", "assigns global COUNTER"),
        ("global_state", "mutates module-level CACHE"),
        ("global_state", "mutates module-level REGISTRY"),
        ("global_state", "writes os.environ"),
        ("global_state", "modifies sys.path"),
        ("global_state", "calls random.seed"),
    ]
    assert effects(src, "g") == []


def test_local_name_shadowing_module_level_is_not_global() -> None:
    src = """
        CACHE = {}

        def f():
            CACHE = {}
            CACHE["k"] = 1
        """
    assert effects(src) == []


def test_nested_scopes_belong_to_themselves() -> None:
    src = """
        import subprocess

        def f(items):
            def inner():
                print("inner")
                items.append(1)
            callback = lambda: subprocess.run(["x"])
            class Local:
                def m(self):
                    open("x")
            return inner, callback, Local
        """
    assert effects(src) == []
    assert pairs(src, "f.inner") == [("io", "calls print")]
    assert pairs(src, "f.Local.m") == [("filesystem", "calls open")]


def test_logging_through_a_module_level_logger() -> None:
    src = """
        import logging
        logger = logging.getLogger(__name__)

        def f(log):
            logger.info("x")
            log.warning("y")
            logging.error("z")
        """
    found = effects(src)
    assert [(e.kind, e.detail, e.confidence) for e in found] == [
        ("io", "calls logging.Logger.info", INFERRED),
        ("io", "calls log.warning", NAME_ONLY),
        ("io", "calls logging.error", RESOLVED),
    ]


def test_one_finding_per_kind_and_detail_in_source_order() -> None:
    src = """
        import time

        def f():
            time.sleep(1)
            print(1)
            time.sleep(2)
            print(2)
        """
    assert pairs(src) == [("time", "calls time.sleep"), ("io", "calls print")]


def test_deeply_nested_code_does_not_recurse() -> None:
    depth = 400
    expr = "(" * depth + "print(1)" + ")" * depth
    body = "".join("    " * (i + 1) + "if x:\n" for i in range(90))
    src = f"def f(x):\n    y = {expr}\n{body}{'    ' * 91}x.append(1)\n"
    assert pairs(src) == [("io", "calls print"), ("mutation", "mutates argument x via .append()")]
