#!/usr/bin/env bash
# Proves every loom model can fail: applies each mutant in loom/mutants/ to a scratch copy
# of the tree and requires the model it names to FAIL. A mutant that survives (its model
# passes) or does not compile fails this script. See docs/loom.md.
#
# Each patch starts with `model: <test name filter>` (and optionally `package: <crate>`,
# default wakeful-executor), then `why:`, then a unified diff applied with `patch -p1`.
# MUTANTS="loom/mutants/04-*.patch" runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${MUTANT_TARGET_DIR:-$root/target/mutants}"
export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
status=0
for patch in ${MUTANTS:-loom/mutants/*.patch}; do
  model=$(sed -n 's/^model: //p' "$patch" | head -n1)
  pkg=$(sed -n 's/^package: //p' "$patch" | head -n1)
  pkg=${pkg:-wakeful-executor}
  rm -rf "$work/tree" && mkdir -p "$work/tree"
  # The tree as it is in the working copy: tracked files plus new, unignored ones.
  git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/tree"
  if ! (cd "$work/tree" && patch -p1 -s --no-backup-if-mismatch < "$root/$patch"); then
    echo "BROKEN: $patch no longer applies"; status=1; continue
  fi
  log="$work/log"
  if (cd "$work/tree" && timeout 900 cargo test -q -p "$pkg" --release --lib "$model" >"$log" 2>&1); then
    echo "SURVIVED: $(basename "$patch"): $model passed with the mutant"; status=1
  elif grep -q "panicked\|test result: FAILED" "$log"; then
    echo "killed: $(basename "$patch") by $model"
  else
    echo "BROKEN: $(basename "$patch") did not build or run:"; tail -n 20 "$log"; status=1
  fi
done
exit $status
