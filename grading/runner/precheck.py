"""Validation of a submission before it goes anywhere near the sandbox.

Runs on the trusted side (web form and runner). It only ever *compiles* the source
(``compile()``/``ast``), never executes it. Messages are written for the learner.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

MAX_BYTES = 256 * 1024
ANSWER_PACKAGE = "llms_from_scratch"
ANSWER_PACKAGE_MESSAGE = (
    "Your file imports `llms_from_scratch`, the book's own answer package. It is not "
    "available to the grader: submit your own implementation instead (copy the code you "
    "wrote into this file)."
)


def as_bytes(source: bytes | str) -> bytes:
    if isinstance(source, bytes):
        return source
    # surrogateescape keeps undecodable bytes from a str read with errors="surrogateescape";
    # lone surrogates typed by hand fail the UTF-8 check below with an offset.
    return source.encode("utf-8", "surrogatepass")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def precheck(source: bytes | str, *, names: Iterable[str] = ()) -> str | None:
    """Return a learner-facing error message, or None when the source may be graded.

    Checks, in order: empty, larger than 256 KB, not UTF-8 (with the byte offset), NUL
    bytes, syntax errors (line number and offending line), imports of the book's answer
    package. ``names`` (the contract) is accepted for symmetry with ``missing_names_hint``;
    missing names are only a hint here, the sandbox reports the authoritative list.
    """
    del names  # authoritative check happens after import, in the sandbox
    try:
        data = as_bytes(source)
    except UnicodeEncodeError as exc:
        return (
            f"Your file is not valid UTF-8: it contains an invalid character "
            f"(a lone surrogate) at character {exc.start}."
        )
    if not data.strip():
        return "Your submission is empty: paste or upload your Python module."
    if len(data) > MAX_BYTES:
        return (
            f"Your file is {len(data) / 1024:.1f} KB; the limit is 256 KB "
            f"({MAX_BYTES} bytes). Submit only the module with your solution."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"Your file is not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} (line {_line_of(data, exc.start)}) cannot be decoded. Save the "
            f"file as UTF-8."
        )
    nul = data.find(b"\x00")
    if nul != -1:
        return (
            f"Your file contains a NUL byte (\\x00) at byte offset {nul} "
            f"(line {_line_of(data, nul)}); Python source cannot contain NUL bytes."
        )
    try:
        tree = ast.parse(data, filename="solution.py")
        compile(tree, "solution.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return format_syntax_error(exc, text)
    except (RecursionError, MemoryError):
        return "Your file is nested too deeply for Python to compile it."
    except ValueError as exc:  # e.g. source rejected by the compiler for other reasons
        return f"Your file cannot be compiled: {exc}"
    if imports_answer_package(tree):
        return ANSWER_PACKAGE_MESSAGE
    return None


def format_syntax_error(exc: SyntaxError, text: str) -> str:
    lineno = exc.lineno or 0
    line = exc.text
    if line is None and 0 < lineno <= len(text.splitlines()):
        line = text.splitlines()[lineno - 1]
    kind = type(exc).__name__  # SyntaxError, IndentationError, TabError
    message = f"{kind} on line {lineno}: {exc.msg}"
    if line:
        stripped = line.rstrip("\n")
        message += f"\n    {stripped.strip()}"
        if exc.offset and exc.offset > 0:
            indent = len(stripped) - len(stripped.lstrip())
            message += "\n    " + " " * max(0, exc.offset - 1 - indent) + "^"
    return message


def imports_answer_package(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] == ANSWER_PACKAGE for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == ANSWER_PACKAGE:
                return True
        elif isinstance(node, ast.Call):
            # __import__("llms_from_scratch") / importlib.import_module("llms_from_scratch")
            for arg in node.args[:1]:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and arg.value.split(".")[0] == ANSWER_PACKAGE
                ):
                    return True
    return False


def defined_names(tree: ast.Module) -> set[str] | None:
    """Names bound at module level (also inside module-level if/try/with/for blocks).

    None when the module does ``from x import *``: then nothing can be said statically.
    """
    names: set[str] = set()

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Tuple | ast.List):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(body: list[ast.stmt]) -> bool:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    targets(t)
            elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
                targets(stmt.target)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*":
                        return False
                    names.add(alias.asname or alias.name)
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                targets(stmt.target)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.NamedExpr):
                targets(stmt.value.target)
            for block in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, block, None)
                if (
                    inner
                    and not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    and not visit(inner)
                ):
                    return False
            for handler in getattr(stmt, "handlers", []) or []:
                if not visit(handler.body):
                    return False
        return True

    return names if visit(tree.body) else None


def missing_names_hint(source: bytes | str, names: Iterable[str]) -> list[str]:
    """Contract names not visibly defined at module level: a *hint* for the web form.

    Empty when the source does not parse or uses ``import *``. The authoritative list comes
    from the sandbox after the module is imported.
    """
    try:
        tree = ast.parse(as_bytes(source), filename="solution.py")
    except (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeEncodeError):
        return []
    defined = defined_names(tree)
    if defined is None:
        return []
    return [n for n in names if n not in defined]
