"""The benchmark harness, run small so that it cannot rot: every row answers, the report is
written. (Speed is measured by `make bench`, never asserted here.)"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import ROOT


def test_the_benchmark_harness_runs(tmp_path):
    out = tmp_path / "results.md"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--duration", "1", "--rounds", "1",
                          "--connections", "2", "--warmup", "0", "--scale", "1500", "--out", str(out)],
                         capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout + run.stderr
    report = out.read_text()
    for row in ("varied get, merge", "varied get, kombo", "varied get, truto", "varied get, bindbee",
                "varied list, merge (25)", "mixed: reads, 1 create in 10"):
        line = next(line for line in report.splitlines() if line.startswith(f"| {row} |"))
        cells = [c.strip() for c in line.split("|")[1:-1]]
        assert int(cells[1]) > 1 and float(cells[3]) > 0 and float(cells[4]) > 0, line  # distinct, req/s, CPU
        assert cells[9].endswith("%") and cells[10].endswith("%") and cells[12] == "0", line  # ratios, no errors
    writers = report.split("| writes/s | p50 ms | p99 ms | max ms | errors |", 1)[1].splitlines()[2]
    assert float(writers.split("|")[1]) > 0 and writers.split("|")[5].strip() == "0", writers
    for row in ("merge list (100)", "merge get", "merge applications list (100)", "merge create", "kombo list (100)", "kombo get (ids=)", "kombo create",
                "truto list (100)", "truto get (Pinpoint)", "bindbee list (100)", "bindbee get",
                *(f"{row}, PostgreSQL" for row in ("merge list (100)", "merge get", "kombo list (100)", "kombo get (ids=)"))):
        line = next(line for line in report.splitlines() if line.startswith(f"| {row} |"))
        cells = [c.strip() for c in line.split("|")[1:-1]]
        assert float(cells[2]) > 0 and cells[6].endswith("%") and cells[8] == "0", line  # req/s, ratio, no errors
    assert re.search(r"cold start to first 200 \(the default fixtures: 15 worlds, [\d,]+ interviews\), merge", report) and "1,500-interview world: time to ready" in report
    assert "1,500-interview world on PostgreSQL: time to ready" in report
    assert "`POST /_sandbox/reset` after 10 writes" in report
