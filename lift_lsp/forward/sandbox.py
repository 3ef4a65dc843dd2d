"""Running generated code: a separate Python process, a timeout, an empty working folder.

This is isolation against accidents (an endless loop, a stray file written to the
working directory, a test that reads the environment), not a security boundary: the
code runs with the user's permissions. The child gets ``python -I`` (no user site, no
``PYTHON*`` variables), a fresh temporary folder as its working directory and home, and
an environment with nothing but ``PATH`` and locale — no API keys. On timeout the whole
process group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

#: Output kept per stream; an answer that prints forever must not fill the memory.
MAX_OUTPUT: Final = 64 * 1024
DEFAULT_TIMEOUT_S: Final = 10.0
_KEPT_ENV: Final = ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class RunOutcome:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def child_env(home: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
    env.update(HOME=home, TMPDIR=home, PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    return env


async def _read(stream: asyncio.StreamReader | None, kept: bytearray) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        room = MAX_OUTPUT - len(kept)
        if room > 0:
            kept.extend(chunk[:room])


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups here
            proc.kill()


async def run_python(
    code: str,
    argv: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    files: Mapping[str, str] | None = None,
) -> RunOutcome:
    """``python -I -c code argv...`` in a fresh folder holding ``files`` (name → text);
    file arguments are best given relative to that folder."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lift-run-") as folder:
        for name, content in (files or {}).items():
            (Path(folder) / name).write_text(content, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            code,
            *argv,
            cwd=folder,
            env=child_env(folder),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        out, err = bytearray(), bytearray()
        readers = asyncio.gather(_read(proc.stdout, out), _read(proc.stderr, err), proc.wait())
        timed_out = False
        try:
            await asyncio.wait_for(readers, timeout)
        except TimeoutError:
            timed_out = True
        finally:
            # A timeout, a cancellation, or children left behind by the code itself.
            _kill(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
    return RunOutcome(
        returncode=None if timed_out else proc.returncode,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        timed_out=timed_out,
        seconds=round(time.perf_counter() - started, 3),
    )


#: Loads the module from a file (as ``__lift_generated__``, not ``__main__``), finds the
#: function by its qualified name and runs its docstring's examples.
DOCTEST_RUNNER: Final = """
import doctest, json, sys, types
source_file, qualname = sys.argv[1], sys.argv[2]
sys.path[:0] = sys.argv[3:]
module = types.ModuleType("__lift_generated__")
module.__file__ = source_file
sys.modules[module.__name__] = module
with open(source_file, encoding="utf-8") as fh:
    exec(compile(fh.read(), source_file, "exec"), module.__dict__)
target = module
for part in qualname.split("."):
    target = getattr(target, part)
finder = doctest.DocTestFinder(recurse=False)
runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
report = []
for test in finder.find(target, qualname, module=module, globs=dict(module.__dict__)):
    runner.run(test, out=report.append)
result = runner.summarize(verbose=False)
print(json.dumps({"attempted": result.attempted, "failed": result.failed,
                  "report": "".join(report)[-4000:]}))
"""
MODULE_FILE: Final = "generated_module.py"


async def run_doctests(
    module_text: str,
    qualname: str,
    *,
    search_path: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """The function's doctests run against ``module_text`` (the file with the new body):
    ``{ran, attempted, failed, passed, timed_out, seconds, report}``."""
    outcome = await run_python(
        DOCTEST_RUNNER,
        [MODULE_FILE, qualname, *search_path],
        timeout=timeout,
        files={MODULE_FILE: module_text},
    )
    result: dict[str, Any] = {
        "ran": True,
        "attempted": 0,
        "failed": 0,
        "passed": False,
        "timed_out": outcome.timed_out,
        "seconds": outcome.seconds,
        "report": "",
    }
    if outcome.timed_out:
        result["report"] = f"timed out after {timeout:g} s"
        return result
    lines = outcome.stdout.strip().splitlines()
    try:
        summary = json.loads(lines[-1]) if lines else None
    except ValueError:
        summary = None
    if not isinstance(summary, dict):
        tail = outcome.stderr.strip().splitlines()[-1:] or ["no output"]
        result["report"] = f"the module could not be run: {tail[0]}"
        return result
    result.update(
        attempted=int(summary.get("attempted", 0)),
        failed=int(summary.get("failed", 0)),
        report=str(summary.get("report", "")),
    )
    result["passed"] = result["attempted"] > 0 and result["failed"] == 0
    return result
