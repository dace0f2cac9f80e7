#!/usr/bin/env bash
# Counts the system calls and context switches of both proxies over one run of the proxy
# bench: starts the bench, attaches `perf stat` to its two proxy children (`wakeful proxy`
# and the tokio proxy, `serve-tokio`) once both exist, and prints each side's counts after
# the bench's table. The counts cover the whole run, warm-ups and connection setup
# included (about 0.5 s more per round than the measured window, the same for both
# sides), so dividing them by the measured units overstates per-unit figures a little and
# leaves the wakeful/tokio ratio alone. docs/benchmarks.md ("Proxy") has the ones measured.
#
#   bash scripts/proxy_syscalls.sh bulk            # one workload, 3 rounds of 3 s (default)
#   bash scripts/proxy_syscalls.sh keep-alive 5 3  # workload, rounds, seconds per round
#
# Workloads: keep-alive, handshakes, bulk. Extra arguments after the first three go to the
# bench (e.g. --tokio-copy-buf 65536). SYSCALLS="accept4 connect close ..." replaces the
# list of system calls counted (default: futex write epoll_wait recvfrom sendto writev).
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:-bulk} rounds=${2:-3} secs=${3:-3}
shift $(($# < 3 ? $# : 3))
case $workload in
  keep-alive | handshakes | bulk) ;;
  *)
    echo "workload must be keep-alive, handshakes or bulk (the spinner case starts other proxies)" >&2
    exit 2
    ;;
esac
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bin=$(cargo bench --bench proxy --no-run --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "proxy":
        print(m["executable"])')
[ -n "$bin" ] || { echo "cannot find the proxy bench binary" >&2; exit 1; }

"$bin" --bench --only "$workload" --rounds "$rounds" --secs "$secs" "$@" \
  >"$out/bench.out" 2>"$out/bench.err" &
bench=$!
w='' t=''
for _ in $(seq 1 150); do
  w=$(pgrep -P "$bench" -f "wakeful proxy" | head -1 || true)
  t=$(pgrep -P "$bench" -f "serve-tokio" | head -1 || true)
  [ -n "$w" ] && [ -n "$t" ] && break
  sleep 0.2
done
if [ -z "$w" ] || [ -z "$t" ]; then
  echo "the proxies did not start; bench stderr:" >&2
  cat "$out/bench.err" >&2
  kill "$bench" 2>/dev/null || true
  exit 1
fi

events=context-switches
for sc in ${SYSCALLS:-futex write epoll_wait recvfrom sendto writev}; do
  events+=",syscalls:sys_enter_$sc"
done
perf stat -x, -e "$events" -p "$w" -o "$out/perf.wakeful" &
p1=$!
perf stat -x, -e "$events" -p "$t" -o "$out/perf.tokio" &
p2=$!
rc=0
wait "$bench" || rc=$?
kill -INT "$p1" "$p2" 2>/dev/null || true
wait "$p1" "$p2" 2>/dev/null || true
if [ "$rc" -ne 0 ]; then
  echo "the bench failed (exit $rc); its stderr:" >&2
  cat "$out/bench.err" >&2
  exit "$rc"
fi
cat "$out/bench.out"
grep -E "round [0-9]+/" "$out/bench.err" || true
for side in wakeful tokio; do
  echo "== $side proxy"
  # -x, lines: value,unit,event,...; comments and blank lines skipped.
  if ! awk -F, '/^[0-9]/ { printf "  %s %s\n", $1, $3; n++ } END { exit n == 0 }' "$out/perf.$side"; then
    echo "  (no counts: perf could not attach? its output:)"
    sed 's/^/  /' "$out/perf.$side"
  fi
done
