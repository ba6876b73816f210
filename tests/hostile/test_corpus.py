"""Every item of the hostile-input corpus (corpus.py) through the `check` command: the exit code, the
error or rejection text with its location, no traceback, no report left under its final name (nor a
temporary one) when the run could not finish, and every record accounted for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hostile.corpus import HostileInput, corpus

CORPUS = corpus()


def run_check(args: list[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "checker.cli.main", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=240)


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_hostile_input(item: HostileInput, tmp_path: Path) -> None:
    invocation = item.build(tmp_path)
    before = set(tmp_path.iterdir())
    args = [arg.replace("{dir}", str(tmp_path)) for arg in invocation.args]
    result = run_check(args, invocation.stdin)
    stderr = result.stderr.decode("utf-8", "replace")
    expected = item.expected
    assert result.returncode == expected.exit_code, stderr
    assert "Traceback" not in stderr and "Error:" not in stderr.split("\n")[-2:][0], stderr
    texts = [text.replace("{dir}", str(tmp_path)) for text in expected.texts]
    report_path = tmp_path / invocation.report if invocation.report else None
    left = set(tmp_path.iterdir()) - before
    if expected.exit_code in (0, 3) and report_path is not None:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        summary = report["summary"]
        assert summary["records_read"] == summary["records_evaluated"] + summary["records_rejected"]
        if expected.summary is not None:
            assert (summary["records_read"], summary["records_evaluated"], summary["records_rejected"]) == \
                expected.summary
        said = [rejection["message"] for rejection in report["rejected"]] + report["warnings"]
        for text in texts:
            assert any(text in message for message in said), (text, said)
        if expected.rejected is not None:
            (rejection,) = report["rejected"]
            assert (rejection["index"], rejection["line"]) == expected.rejected
        # the reports asked for, and nothing temporary beside them
        assert left == {report_path} | {tmp_path / name for name in invocation.other_outputs}
        if invocation.check_outputs is not None:
            invocation.check_outputs(tmp_path, result.stdout.decode("utf-8"))
    else:
        for text in texts:
            assert text in stderr, (text, stderr)
        assert not left, f"left behind: {sorted(map(str, left))}"  # no report, whole or partial
