#!/usr/bin/env bash
# Runs every loom model. `--cfg loom` reaches every crate in the build, so each package is
# tested on its own, in its own target directory (it would otherwise invalidate the normal
# build's cache). See docs/loom.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
for pkg in wakeful-executor wakeful-io wakeful-test; do
  echo "--- loom: $pkg (LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS)"
  cargo test -p "$pkg" --release --lib loom -- --test-threads=2
done
