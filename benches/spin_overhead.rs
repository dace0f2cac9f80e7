//! What spin accounting costs: `yield_many` and `ping_pong` (tokio's bodies, the same as
//! `rt_multi_threaded`'s) on wakeful with accounting on, on wakeful with it off
//! (`Builder::spin_detection(false)`), and on tokio, in interleaved rounds.
//!
//! ```sh
//! cargo bench --bench spin_overhead                      # 61 rounds per workload, ~1 min
//! cargo bench --bench spin_overhead -- --rounds 201      # steadier
//! cargo bench --bench spin_overhead -- --test            # smoke: 2 rounds of 1 iteration
//! ```
//!
//! Not criterion: criterion measures one function after the other for seconds each, and on
//! this shared machine the load changes on that scale, which moves a 2% difference either
//! way. Here the runtimes are built once and take turns: each round runs a few iterations
//! on each side (the order rotates every round; the on/off pair alternates between one
//! built on-first and one built off-first, see `measure`), and the overhead is the median
//! over rounds of that round's on/off time ratio, so slow drifts of the machine's load
//! cancel.
//! Times are medians over rounds of the time per iteration.
#[path = "support/args.rs"]
mod args;
#[path = "support/scheduler.rs"]
#[allow(dead_code, reason = "this bench uses two of the bodies")]
mod scheduler;

use args::positive;
use scheduler::{on_tokio, on_wakeful, tokio_rt, wakeful_rt, Iterate};
use std::time::{Duration, Instant};

const WORKER_COUNTS: [usize; 2] = [2, 4];

/// Runs the routine `iters` times and keeps the wall time it took.
struct Timed {
    iters: u32,
    elapsed: Duration,
}

impl Iterate for Timed {
    fn iter<O, R: FnMut() -> O>(&mut self, mut routine: R) {
        let start = Instant::now();
        for _ in 0..self.iters {
            std::hint::black_box(routine());
        }
        self.elapsed = start.elapsed();
    }
}

/// The three sides, by index: round `r` runs them starting at index `r % 3`.
const SIDES: [&str; 3] = ["on", "off", "tokio"];

struct Options {
    rounds: usize,
    /// Iterations per side per round, by workload: yield_many, ping_pong.
    iters: [u32; 2],
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        rounds: 61,
        iters: [4, 16],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--test" => {
                opts.rounds = 2;
                opts.iters = [1, 1];
            }
            "--rounds" => {
                opts.rounds = positive(&arg, &args.next().ok_or("--rounds needs a number")?)?
            }
            // `cargo bench` passes `--bench`; other criterion flags mean nothing here.
            _ => {}
        }
    }
    Ok(opts)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One workload at one worker count: per-iteration times of each side, by round.
///
/// The wakeful sides are two on/off pairs, one built on-first and one off-first, and rounds
/// alternate between them: which of two identical runtimes is built first (thread creation
/// order, the allocator arenas its threads get) moved a 201-round `yield_many/4w` figure by
/// about a point on this machine, in favour of the one built second. Alternating the two
/// orders cancels that out (with an odd round count the on-first pair gets one round more).
fn measure(workload: usize, workers: usize, rounds: usize, iters: u32) -> [Vec<f64>; 3] {
    let on_first = {
        let on = wakeful_rt(workers, true);
        (on, wakeful_rt(workers, false))
    };
    let off_first = {
        let off = wakeful_rt(workers, false);
        (wakeful_rt(workers, true), off)
    };
    let tokio = tokio_rt(workers);
    let run = |side: usize, (on, off): &(_, _)| -> f64 {
        let mut timed = Timed {
            iters,
            elapsed: Duration::ZERO,
        };
        match (workload, side) {
            (0, 0) => on_wakeful::yield_many(&mut timed, on),
            (0, 1) => on_wakeful::yield_many(&mut timed, off),
            (0, _) => on_tokio::yield_many(&mut timed, &tokio),
            (_, 0) => on_wakeful::ping_pong(&mut timed, on),
            (_, 1) => on_wakeful::ping_pong(&mut timed, off),
            (_, _) => on_tokio::ping_pong(&mut timed, &tokio),
        }
        timed.elapsed.as_secs_f64() / f64::from(iters)
    };
    // Warm-up: one round on each pair, not kept.
    for pair in [&on_first, &off_first] {
        for side in 0..3 {
            run(side, pair);
        }
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        let pair = if round % 2 == 0 {
            &on_first
        } else {
            &off_first
        };
        for k in 0..3 {
            let side = (round + k) % 3;
            times[side].push(run(side, pair));
        }
    }
    times
}

fn main() {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("spin_overhead: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "Medians of {} interleaved rounds (sides: {}).\n",
        opts.rounds,
        SIDES.join(", ")
    );
    println!("| workload | accounting on | accounting off | overhead (median of per-round on/off) | tokio | wakeful (on)/tokio |");
    println!("|---|--:|--:|--:|--:|--:|");
    for (workload, name) in ["yield_many", "ping_pong"].into_iter().enumerate() {
        for workers in WORKER_COUNTS {
            let [on, off, tokio] = measure(workload, workers, opts.rounds, opts.iters[workload]);
            let overhead = median(on.iter().zip(&off).map(|(a, b)| a / b - 1.0).collect());
            let (on, off, tokio) = (median(on), median(off), median(tokio));
            println!(
                "| {name}/{workers}w | {:.3} ms | {:.3} ms | {:+.1}% | {:.3} ms | {:.2} |",
                on * 1e3,
                off * 1e3,
                overhead * 100.0,
                tokio * 1e3,
                on / tokio
            );
        }
    }
}
