"""The Python host for scripts/bench-hosts.sh: thresholds.Ruleset.from_path(RULES_DIR); the
decisions of the first SAMPLE lines (Decision.to_json of evaluate(dict)) to SAMPLE_OUT and the
evaluate_frame rows for them to FRAME_OUT; then PASSES timed passes (after one untimed pass) of
MODE, printing each pass's total in ns, one a line.

    python host_python.py MODE RULES_DIR LINES PASSES SAMPLE SAMPLE_OUT FRAME_OUT

MODE: ``evaluate`` (one call per referral dict, parsed once beforehand), ``frame`` (one
evaluate_frame call over a DataFrame of all referrals, every core) or ``frame1`` (threads=1).
"""

import json
import sys
import time

import pandas as pd

import thresholds


def main() -> None:
    mode, rules, lines_path, passes, sample, sample_out, frame_out = sys.argv[1:8]
    passes, sample = int(passes), int(sample)
    rs = thresholds.Ruleset.from_path(rules)
    with open(lines_path, encoding="utf-8") as f:
        dicts = [json.loads(line) for line in f if line.strip()]
    df = pd.DataFrame.from_records(dicts)
    threads = 1 if mode == "frame1" else 0

    with open(sample_out, "w", encoding="utf-8") as out:
        for d in dicts[:sample]:
            out.write(rs.evaluate(d).to_json() + "\n")
    frame = rs.evaluate_frame(df.iloc[:sample], threads=threads)
    with open(frame_out, "w", encoding="utf-8") as out:
        for level, pathways, status, missing in zip(
            frame["level"], frame["pathways"], frame["status"], frame["missing"]
        ):
            row = {
                "level": None if pd.isna(level) else str(level),
                "pathways": list(pathways),
                "status": str(status),
                "missing": list(missing),
            }
            out.write(json.dumps(row, separators=(",", ":")) + "\n")

    for p in range(-1, passes):
        t0 = time.perf_counter_ns()
        if mode == "evaluate":
            for d in dicts:
                rs.evaluate(d)
        else:
            rs.evaluate_frame(df, threads=threads)
        t1 = time.perf_counter_ns()
        if p >= 0:
            print(t1 - t0, flush=True)


if __name__ == "__main__":
    main()
