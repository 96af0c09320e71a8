"""``manage.py grade SLUG FILE [--json]`` with the real runner and sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from grading import runner

SOLUTIONS = Path(__file__).parent / "solutions"
REPO = Path(__file__).resolve().parents[2]
CAUSAL = "causal-attention"


@pytest.fixture(scope="module", autouse=True)
def warm_sandbox() -> Iterator[None]:
    """One sandbox for the module: the command's own shutdown is deferred to the end."""
    patch = pytest.MonkeyPatch()
    patch.setattr(runner, "shutdown", lambda: None)
    yield
    patch.undo()
    runner.shutdown()


def grade(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("grade", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_it_exits_0_and_prints_each_check_for_a_passing_file() -> None:
    code, out = grade(CAUSAL, str(SOLUTIONS / CAUSAL / "book.py"))
    assert code == 0
    assert "✓ no_future_leak" in out and "✓ dropout_in_train_mode" in out
    assert "PASS: All 12 checks passed." in out


def test_it_exits_1_and_says_what_is_wrong_for_a_failing_file() -> None:
    code, out = grade(CAUSAL, str(SOLUTIONS / CAUSAL / "mistake_mask_after_softmax.py"))
    assert code == 1
    assert "✗ " in out and "FAIL: " in out
    assert "learn it: video https://www.youtube.com/watch?v=" in out


def test_it_exits_1_for_a_module_that_cannot_be_graded(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def f(:\n")
    code, out = grade(CAUSAL, str(path))
    assert code == 1 and "ERROR: SyntaxError on line 1" in out


def test_it_prints_the_exercism_json() -> None:
    code, out = grade(CAUSAL, str(SOLUTIONS / CAUSAL / "book.py"), "--json")
    results = json.loads(out)
    assert code == 0
    assert results["version"] == 3 and results["status"] == "pass"
    assert len(results["tests"]) == 12
    assert {"name", "status", "message", "output", "test_code", "task_id"} <= set(
        results["tests"][0]
    )


def test_it_refuses_an_unknown_challenge_with_status_2() -> None:
    with pytest.raises(CommandError, match="No gradable challenge “nope”") as refused:
        call_command("grade", "nope", str(SOLUTIONS / CAUSAL / "book.py"))
    assert refused.value.returncode == 2


def test_it_refuses_a_missing_file_with_status_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file") as refused:
        call_command("grade", CAUSAL, str(tmp_path / "absent.py"))
    assert refused.value.returncode == 2


def test_its_exit_status_is_2_for_bad_usage_from_the_shell(tmp_path: Path) -> None:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    for args in (["nope", "x.py"], [CAUSAL, str(tmp_path / "absent.py")], [CAUSAL]):
        done = subprocess.run(
            [sys.executable, "manage.py", "grade", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
