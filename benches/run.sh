#!/usr/bin/env bash
# Runs every side-by-side criterion bench (wakeful and tokio in the same group, same run),
# then prints the wakeful/tokio ratio table. This machine is shared and noisy: run it when
# nothing else is building, and compare ratios, not absolute times.
#
#   bash benches/run.sh                       # all benches, default settings below
#   BENCH_ARGS="--measurement-time 10" bash benches/run.sh rt_multi_threaded
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS=${BENCH_ARGS:---warm-up-time 2 --measurement-time 5}
benches=${*:-rt_multi_threaded spin_containment io_tcp io_timers tls}
for b in $benches; do
  # shellcheck disable=SC2086
  cargo bench -q --bench "$b" -- $ARGS 2>&1 | grep -E "^[a-z_0-9/]+ +time:|spinner beside" || true
done
python3 benches/ratio.py
