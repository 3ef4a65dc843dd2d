"""``python -m lift_lsp.ir [--check]``: write (or check) grammars/ir.schema.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lift_lsp.ir.model import IRReport

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "grammars" / "ir.schema.json"


def schema_text() -> str:
    # Validation mode: it lists Provenance's fields (serialisation only omits the nulls).
    return json.dumps(IRReport.model_json_schema(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = schema_text()
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is out of date: run python -m lift_lsp.ir", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
