#!/usr/bin/env bash
# Runs the tests that exercise the executor's unsafe code (the raw task, wakers, join
# handles, shutdown) under valgrind: any invalid read/write, use of uninitialised memory or
# definite leak fails the run. See docs/loom.md ("Valgrind").
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
fi
# --fair-sched=yes: valgrind runs one thread at a time, and by default a thread that never
# blocks (a worker in an endless ping-pong, as executor_lifo has) can starve the others.
VG=(valgrind -q --error-exitcode=1 --fair-sched=yes --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite)
bins=$( (cargo test --no-run --message-format=json -p wakeful-executor --lib
         cargo test --no-run --message-format=json -p wakeful \
           --test executor_waker --test executor_joinhandle --test executor_shutdown \
           --test executor_lifo --test executor_spawn --test spin_zoo) 2>/dev/null \
       | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])')
for bin in $bins; do
  echo "--- valgrind $(basename "$bin")"
  # The 100,000-task scale test runs ~50x slower under valgrind and can outlast its own
  # hang guard on a loaded machine; the other spawn tests cover the same unsafe paths.
  "${VG[@]}" "$bin" --test-threads=2 -q --skip hundred_thousand_tasks
done
