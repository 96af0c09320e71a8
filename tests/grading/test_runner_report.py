"""Report dataclasses and the Exercism results.json (version 3) layout."""

from __future__ import annotations

import json

from grading.runner.report import CheckReport, GradeReport

PASS = CheckReport("a", "pass", "ok", "", "checks a", 0.01, "dQw4w9WgXcQ", 3)
FAIL = CheckReport(
    "b", "fail", "wrong shape: expected (2, 4), got (4, 2)", "got ...", "checks b", 0.02
)
ERROR = CheckReport("c", "error", "not run: probe 1 of check 'b' exceeded 5.0 s wall clock")


def test_overall_status_rules() -> None:
    assert GradeReport.overall_status([PASS, PASS]) == "pass"
    assert GradeReport.overall_status([PASS, FAIL]) == "fail"
    assert GradeReport.overall_status([PASS, ERROR]) == "fail"  # graded, not all passing
    assert GradeReport.overall_status([]) == "fail"  # nothing passed is never a pass


def test_exercism_v3_shape() -> None:
    report = GradeReport(
        "fail",
        "1 of 3 checks passed.",
        [PASS, FAIL, ERROR],
        stdout="hi\n",
        isolation=["bwrap: ..."],
        elapsed_s=0.123456,
    )
    data = json.loads(json.dumps(report.to_exercism()))  # JSON-serialisable
    assert data["version"] == 3
    assert data["status"] == "fail"
    assert data["message"] is None  # Exercism: only set when status is "error"
    assert data["elapsed_s"] == 0.1235 and data["isolation"] == ["bwrap: ..."]
    assert data["stdout"] == "hi\n"
    tests = data["tests"]
    assert [t["name"] for t in tests] == ["a", "b", "c"]
    for t in tests:
        assert set(t) >= {
            "name",
            "status",
            "message",
            "output",
            "test_code",
            "task_id",
            "elapsed_s",
            "video",
            "card",
        }
        assert t["status"] in ("pass", "fail", "error")
    assert tests[0]["message"] is None and tests[0]["video"] == "dQw4w9WgXcQ"
    assert tests[0]["card"] == 3 and tests[0]["task_id"] == 1
    assert tests[1]["message"].startswith("wrong shape") and tests[1]["output"] == "got ..."
    assert tests[2]["status"] == "error" and tests[2]["message"].startswith("not run")


def test_error_report_has_top_level_message_and_no_tests() -> None:
    data = GradeReport("error", "SyntaxError on line 2: ...").to_exercism()
    assert data["status"] == "error" and data["message"].startswith("SyntaxError")
    assert data["tests"] == []


def test_long_output_truncated_per_exercism() -> None:
    check = CheckReport("a", "fail", "m", "x" * 2000)
    out = GradeReport("fail", "", [check]).to_exercism()["tests"][0]["output"]
    assert len(out) < 600 and out.endswith("[output truncated]")
    assert GradeReport("fail", "", [check]).checks[0].output == "x" * 2000  # kept in full
