"""A worker process that dies mid-run (killed here with SIGKILL, as the kernel's out-of-memory killer
would) ends the run with a clear error and exit 2, and leaves no report, whole or temporary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, make_case


def children_of(pid: int) -> list[int]:
    found = []  # forked workers run the parent's command line; multiprocessing's resource tracker does not
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and b"checker.cli.main" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_killed_worker_stops_the_run_with_exit_2_and_no_report(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    with cases.open("w", encoding="utf-8") as handle:
        for number in range(60_000):
            handle.write(json.dumps(make_case(f"W-{number}")) + "\n")
    process = subprocess.Popen([sys.executable, "-m", "checker.cli.main", str(cases), "--jobs", "2", "--quiet",
                                "-o", str(tmp_path / "out.json"), "-o", str(tmp_path / "out.csv")],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        workers = children_of(process.pid)
        if len(workers) >= 2 and any(path.name.endswith(".partial") for path in tmp_path.iterdir()):
            break
        time.sleep(0.05)
    assert workers and process.poll() is None, "the run ended before a worker could be killed"
    time.sleep(0.5)  # let the workers take their first chunks
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    message = stderr.decode()
    assert process.returncode == 2, message
    assert "Traceback" not in message
    assert "a worker process ended unexpectedly (killed, or out of memory?)" in message
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cases.jsonl"]  # no report, no .partial
