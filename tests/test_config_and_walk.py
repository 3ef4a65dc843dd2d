"""Settings (merge, pyproject.toml) and finding/reading Python files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lift_lsp.config import Settings, Severity, find_project_root, merge, project_settings
from lift_lsp.holes import HoleKind
from lift_lsp.workspace import FileError, SourceText, decode_source, iter_python_files, read_source

# -- merge --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["enabledKinds", "enabled-kinds", "enabled_kinds"])
def test_merge_accepts_key_spellings(key: str) -> None:
    s = merge(Settings(), {key: ["named", "body"]}, "editor")
    assert s.enabled_kinds == frozenset({HoleKind.NAMED, HoleKind.BODY})
    assert s.problems == ()


@pytest.mark.parametrize("key", ["maxFileBytes", "max-file-bytes", "max_file_bytes"])
def test_merge_max_file_bytes_spellings(key: str) -> None:
    assert merge(Settings(), {key: 1234}, "editor").max_file_bytes == 1234


def test_merge_severity_is_case_insensitive() -> None:
    assert merge(Settings(), {"severity": "Warning"}, "editor").severity is Severity.WARNING


def test_merge_bad_severity_keeps_default_and_reports() -> None:
    s = merge(Settings(), {"severity": "loud"}, "editor")
    assert s.severity is Severity.INFORMATION
    assert len(s.problems) == 1
    assert "severity" in s.problems[0]
    assert "'loud'" in s.problems[0]
    assert s.problems[0].startswith("editor:")


def test_merge_unknown_key_is_reported() -> None:
    s = merge(Settings(), {"colour": "red", "severity": "hint"}, "editor")
    assert s.severity is Severity.HINT
    assert s.problems == ("editor: unknown setting 'colour'",)


def test_merge_unknown_kind_is_reported_known_kept() -> None:
    s = merge(Settings(), {"enabledKinds": ["named", "bogus"]}, "editor")
    assert s.enabled_kinds == frozenset({HoleKind.NAMED})
    assert any("bogus" in p for p in s.problems)


def test_merge_keeps_earlier_problems_and_values() -> None:
    first = merge(Settings(), {"severity": "error", "nope": 1}, "pyproject")
    second = merge(first, {"maxFileBytes": 10}, "editor")
    assert second.severity is Severity.ERROR
    assert second.max_file_bytes == 10
    assert second.problems == first.problems


def test_merge_non_positive_size_is_rejected() -> None:
    s = merge(Settings(), {"maxFileBytes": 0}, "editor")
    assert s.max_file_bytes == Settings().max_file_bytes
    assert len(s.problems) == 1


# -- pyproject.toml -----------------------------------------------------------------------


def test_project_settings_reads_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lift-lsp]\nseverity = "warning"\nenabled-kinds = ["named"]\n'
        'extend-exclude = ["gen"]\n'
    )
    s = project_settings(tmp_path)
    assert s.severity is Severity.WARNING
    assert s.enabled_kinds == frozenset({HoleKind.NAMED})
    assert "gen" in s.all_excludes
    assert s.problems == ()


def test_project_settings_without_table_are_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert project_settings(tmp_path) == Settings()


def test_project_settings_without_file_are_defaults(tmp_path: Path) -> None:
    s = project_settings(tmp_path)
    assert s == Settings()
    assert s.problems == ()


def test_broken_toml_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lift-lsp\nseverity = \n")
    s = project_settings(tmp_path)
    assert s == Settings()
    assert len(s.problems) == 1
    assert "pyproject.toml" in s.problems[0]


def test_find_project_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    module = deep / "m.py"
    module.write_text("")
    assert find_project_root(module) == tmp_path
    assert find_project_root(deep) == tmp_path


def test_find_project_root_does_not_look_into_siblings(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    (tmp_path / "other").mkdir()
    assert find_project_root(tmp_path / "other") != tmp_path / "proj"
    assert find_project_root(tmp_path / "proj" / "m.py") == tmp_path / "proj"


# -- walking ------------------------------------------------------------------------------


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def walked(paths: list[Path], root: Path, settings: Settings | None = None) -> list[str]:
    out = []
    for p in iter_python_files(paths, settings or Settings()):
        assert not isinstance(p, FileError), p
        out.append(p.relative_to(root).as_posix())
    return sorted(out)


def test_walk_skips_default_excluded_folders(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "a.py",
        "pkg/b.py",
        "pkg/c.pyi",
        "notes.txt",
        ".venv/lib/d.py",
        "node_modules/e.py",
        "build/f.py",
        "pkg/build/g.py",
    )
    assert walked([tmp_path], tmp_path) == ["a.py", "pkg/b.py", "pkg/c.pyi"]


def test_walk_respects_gitignore(tmp_path: Path) -> None:
    touch(tmp_path, "keep.py", "gen/out.py", "secret.py", "pkg/x.py")
    (tmp_path / ".gitignore").write_text("gen/\nsecret.py\n")
    assert walked([tmp_path], tmp_path) == ["keep.py", "pkg/x.py"]


def test_walk_respects_nested_gitignore(tmp_path: Path) -> None:
    touch(tmp_path, "top_local.py", "pkg/local.py", "pkg/keep.py", "pkg/sub/local.py")
    (tmp_path / "pkg" / ".gitignore").write_text("local.py\n")
    assert walked([tmp_path], tmp_path) == ["pkg/keep.py", "top_local.py"]


def test_walk_extend_exclude(tmp_path: Path) -> None:
    touch(tmp_path, "a.py", "generated/b.py")
    settings = merge(Settings(), {"extendExclude": ["generated"]}, "test")
    assert walked([tmp_path], tmp_path, settings) == ["a.py"]


def test_explicit_file_is_always_yielded(tmp_path: Path) -> None:
    touch(tmp_path, "build/f.py", "ignored.py")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    explicit = [tmp_path / "build" / "f.py", tmp_path / "ignored.py"]
    assert walked(explicit, tmp_path) == ["build/f.py", "ignored.py"]


def test_explicitly_named_excluded_folder_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "build/f.py")
    assert walked([tmp_path / "build"], tmp_path) == ["build/f.py"]


def test_missing_path_is_a_file_error(tmp_path: Path) -> None:
    (result,) = list(iter_python_files([tmp_path / "nope.py"], Settings()))
    assert isinstance(result, FileError)


def test_file_named_twice_is_yielded_once(tmp_path: Path) -> None:
    touch(tmp_path, "a.py")
    assert walked([tmp_path / "a.py", tmp_path], tmp_path) == ["a.py"]


# -- reading ------------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    return path


def test_read_plain_utf8(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, "s = 'é'\n".encode()), 1000)
    assert result == SourceText(tmp_path / "m.py", "s = 'é'\n")


def test_nul_byte_is_an_error(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, b"x = 1\x00\n"), 1000)
    assert isinstance(result, FileError)
    assert "NUL" in result.message
    assert "offset 5" in result.message


def test_invalid_utf8_is_an_error(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, b"a = 1\nb = 2\nx = '\xff'\n"), 1000)
    assert isinstance(result, FileError)
    assert result.message == "not valid UTF-8 (byte 0xff at offset 17)"


def test_invalid_utf8_on_first_line_is_an_error(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, b"x = '\xff'\n"), 1000)
    assert isinstance(result, FileError)
    assert result.message == "not valid UTF-8 (byte 0xff at offset 5)"


def test_coding_cookie_latin1(tmp_path: Path) -> None:
    data = "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1")
    result = read_source(write(tmp_path, data), 1000)
    assert isinstance(result, SourceText)
    assert result.text.endswith("s = 'é'\n")


def test_bom_is_dropped(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, b"\xef\xbb\xbfx = 1\n"), 1000)
    assert isinstance(result, SourceText)
    assert result.text == "x = 1\n"


def test_bad_coding_declaration(tmp_path: Path) -> None:
    result = decode_source(tmp_path / "m.py", b"# coding: no-such-codec\nx = 1\n")
    assert isinstance(result, FileError)


def test_file_larger_than_limit(tmp_path: Path) -> None:
    path = write(tmp_path, b"x = 1\n" * 100)
    result = read_source(path, 599)
    assert isinstance(result, FileError)
    assert "larger" in result.message
    assert isinstance(read_source(path, 600), SourceText)
