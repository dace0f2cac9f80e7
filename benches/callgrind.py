#!/usr/bin/env python3
"""Instructions per spawn, per poll and per wake, wakeful vs tokio, counted by callgrind.

Each workload runs with N and 2N operations on a one-worker runtime; the difference of the
two totals divided by N is the cost of one operation (setup and teardown cancel out).
Instruction counts are repeatable here to a few instructions, unlike wall time.

    cargo bench --bench instructions --no-run        # builds target/release/deps/instructions-*
    python3 benches/callgrind.py [N]                 # default N = 20000
"""
import glob, os, re, subprocess, sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
bins = [b for b in glob.glob("target/release/deps/instructions-*") if os.access(b, os.X_OK) and not b.endswith(".d")]
if not bins:
    sys.exit("build it first: cargo bench --bench instructions --no-run")
binary = max(bins, key=os.path.getmtime)

def instructions(rt, workload, n):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--fair-sched=yes",
         binary, rt, workload, str(n)],
        capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not m:
        sys.exit(f"{rt} {workload}: valgrind failed:\n{out.stderr[-2000:]}")
    return int(m.group(1))

rows = []
for workload in ["spawn", "poll", "wake"]:
    per = {}
    for rt in ["wakeful", "wakeful-spin-off", "tokio"]:
        per[rt] = (instructions(rt, workload, 2 * N) - instructions(rt, workload, N)) / N
    rows.append((workload, per))

print(f"| operation | wakeful | wakeful (spin detection off) | tokio | wakeful/tokio | detection cost |")
print(f"|---|---|---|---|---|---|")
for workload, per in rows:
    w, off, t = per["wakeful"], per["wakeful-spin-off"], per["tokio"]
    print(f"| per {workload} | {w:.0f} | {off:.0f} | {t:.0f} | {w / t:.2f} | {100 * (w - off) / off:+.1f}% |")
