#!/usr/bin/env python3
"""Print the wakeful/tokio ratio of every `rt_multi_threaded` bench as a markdown table.

Usage:
    cargo bench --bench rt_multi_threaded          # measure (writes target/criterion)
    python3 benches/ratio.py                        # the table, from target/criterion
    python3 benches/ratio.py --baseline main        # a baseline saved with --save-baseline main
    python3 benches/ratio.py --criterion-dir DIR    # another criterion output directory

Reads criterion's output: for every benchmark, `<dir>/<group>/<function>/<baseline>/`
`benchmark.json` (the group and function names as the bench spelled them, e.g. group
`ping_pong/2w`, function `wakeful`) and `estimates.json` (its `median.point_estimate`, in
nanoseconds per iteration).

Columns: the group (`<bench>/<workers>w`), the median time per iteration of the `wakeful`
and `tokio` functions, their ratio wakeful/tokio (below 1.0: wakeful is faster), and, for
groups that also measured `wakeful_spin_off` (wakeful with spin detection disabled), the
overhead of spin detection: (wakeful - wakeful_spin_off) / wakeful_spin_off, in percent.
A group missing a function shows "-" in the cells that need it.

Exit status: 0 on success, 1 if no benchmark results were found. Python 3 stdlib only.
"""

import argparse
import json
import os
import re
import sys

WAKEFUL = "wakeful"
TOKIO = "tokio"
SPIN_OFF = "wakeful_spin_off"


def default_criterion_dir():
    """`$CARGO_TARGET_DIR/criterion`, else `target/criterion` at the workspace root."""
    target = os.environ.get("CARGO_TARGET_DIR")
    if not target:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        target = os.path.join(root, "target")
    return os.path.join(target, "criterion")


def load_medians(criterion_dir, baseline):
    """Returns {group: {function: median_ns}} for every benchmark with both json files."""
    results = {}
    for dirpath, _dirnames, filenames in os.walk(criterion_dir):
        if os.path.basename(dirpath) != baseline:
            continue
        if "benchmark.json" not in filenames or "estimates.json" not in filenames:
            continue
        with open(os.path.join(dirpath, "benchmark.json"), encoding="utf-8") as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json"), encoding="utf-8") as f:
            estimates = json.load(f)
        group = bench.get("group_id")
        function = bench.get("function_id")
        if group is None or function is None:
            continue
        median = estimates["median"]["point_estimate"]
        results.setdefault(group, {})[function] = float(median)
    return results


def format_time(ns):
    """A duration in nanoseconds with a readable unit and four significant digits."""
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.4g} {unit}"
    return f"{ns:.4g} ns"


def group_sort_key(group):
    """Sort by bench name, then numerically by worker count (`ping_pong/2w`)."""
    match = re.fullmatch(r"(.*)/(\d+)w", group)
    if match:
        return (match.group(1), int(match.group(2)), group)
    return (group, 0, group)


def table(results):
    """The markdown table, one row per group, as a list of lines."""
    lines = [
        "| group | wakeful | tokio | wakeful/tokio | spin detection overhead |",
        "|---|---:|---:|---:|---:|",
    ]
    for group in sorted(results, key=group_sort_key):
        functions = results[group]
        wakeful = functions.get(WAKEFUL)
        tokio = functions.get(TOKIO)
        spin_off = functions.get(SPIN_OFF)
        ratio = f"{wakeful / tokio:.2f}" if wakeful is not None and tokio else "-"
        if wakeful is not None and spin_off:
            overhead = f"{(wakeful - spin_off) / spin_off * 100:+.1f}%"
        else:
            overhead = "-"
        lines.append(
            f"| {group} | {format_time(wakeful)} | {format_time(tokio)} "
            f"| {ratio} | {overhead} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="wakeful/tokio ratios from criterion's output, as a markdown table.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--criterion-dir",
        default=default_criterion_dir(),
        help="criterion's output directory (default: %(default)s)",
    )
    parser.add_argument(
        "--baseline",
        default="new",
        help="which saved measurement to read: 'new' (the latest run, default), 'base', "
        "or a name given to --save-baseline",
    )
    args = parser.parse_args(argv)
    results = load_medians(args.criterion_dir, args.baseline)
    results = {g: f for g, f in results.items() if WAKEFUL in f or TOKIO in f}
    if not results:
        print(
            f"no benchmark results under {args.criterion_dir} (baseline {args.baseline!r}); "
            "run `cargo bench --bench rt_multi_threaded` first",
            file=sys.stderr,
        )
        return 1
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
