//! Interleaved rounds: the `io_tcp` and `tls` benches' second way of comparing the two
//! runtimes, for when criterion's one-after-the-other is too coarse.
//!
//! Criterion measures `wakeful` for seconds, then `tokio` for seconds. On this shared
//! machine the load drifts on that scale: the same `tls_handshake` pair measured 0.95 and
//! 1.20 in two runs ten minutes apart (2026-11-22). With `--interleaved` each workload's two
//! sides are set up once, side by side (the idle one parked), and take turns: each round
//! runs a few iterations on each, the order swapping every round, and the figure is the
//! median over rounds of that round's wakeful/tokio ratio, with its quartiles, so a reader
//! sees how far one round strays. A warm-up round on each side is not kept.
//!
//! Also kept: process CPU per unit on each side (`/proc/self/stat`, summed over the rounds;
//! the kernel counts it in 10 ms ticks, so the sum is good to a few percent after a second
//! or more of CPU). A side's window also catches what the other side left running (a
//! server task finishing its close, wakeful's idle monitor tick every 250 ms); the order
//! swap makes that roughly symmetric.
//!
//! ```sh
//! cargo bench --bench tls -- --interleaved               # 31 rounds per workload
//! cargo bench --bench io_tcp -- --interleaved --rounds 61
//! cargo bench --bench tls -- --interleaved tls_bulk      # one workload
//! cargo bench --bench tls -- --interleaved --test        # smoke: 2 rounds of 1 iteration
//! ```
use std::cell::Cell;
use std::time::Duration;

#[path = "args.rs"]
mod args;
/// The proxy bench's process CPU reader.
#[path = "../proxy/cpu.rs"]
mod cpu;

use args::positive;

/// How an interleaved run was asked for.
pub struct Options {
    /// Rounds kept per workload.
    pub rounds: usize,
    /// Smoke run: every side once per round, whatever the workload's iteration count.
    pub test: bool,
    /// Only workloads whose names contain this (like criterion's positional filter, but a
    /// substring of the group name, not a regex).
    pub filter: Option<String>,
    /// Whether [`wants`](Self::wants) said yes to a workload.
    matched: Cell<bool>,
}

impl Options {
    /// Whether the workload `name` is to run.
    pub fn wants(&self, name: &str) -> bool {
        let yes = self.filter.as_deref().is_none_or(|f| name.contains(f));
        self.matched.set(self.matched.get() || yes);
        yes
    }

    /// The iterations each side runs per round: `iters`, or 1 in a smoke run.
    pub fn iters(&self, iters: u64) -> u64 {
        if self.test {
            1
        } else {
            iters
        }
    }
}

/// The `main` of a bench with both modes: interleaved rounds (`interleaved`) when the
/// command line asks for them, else criterion's run (`criterion`, the function
/// `criterion_group!` made). Exits with status 2 on a bad command line, or a filter that
/// matched no workload.
pub fn main(bench: &str, criterion: fn(), interleaved: fn(&Options)) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--interleaved") {
        criterion();
        criterion::Criterion::default()
            .configure_from_args()
            .final_summary();
        return;
    }
    let opts = match options(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("{bench}: {e}");
            std::process::exit(2);
        }
    };
    interleaved(&opts);
    if !opts.matched.get() {
        eprintln!(
            "{bench}: no workload's name contains `{}`",
            opts.filter.as_deref().unwrap_or_default()
        );
        std::process::exit(2);
    }
}

/// Interleaved mode's arguments: `--rounds N` (default 31), `--test` (2 rounds of 1
/// iteration), and a workload filter (`tls_bulk`). `--bench`, which `cargo bench` passes,
/// is ignored; any other flag is an error (criterion's flags mean nothing here).
fn options(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        rounds: 31,
        test: false,
        filter: None,
        matched: Cell::new(false),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--interleaved" | "--bench" => {}
            "--test" => opts.test = true,
            "--rounds" => {
                opts.rounds = positive(arg, args.next().ok_or("--rounds needs a number")?)?
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "`{flag}` means nothing with --interleaved (it takes --rounds N, --test and a workload name)"
                ))
            }
            name if opts.filter.is_some() => {
                return Err(format!("one workload filter only, got a second: `{name}`"))
            }
            name => opts.filter = Some(name.to_string()),
        }
    }
    if opts.test {
        opts.rounds = opts.rounds.min(2);
    }
    Ok(opts)
}

/// The two sides of one workload: each runs `iters` iterations and returns the wall time
/// they took (measured inside the runtime, as criterion's `iter_custom` wants).
pub struct Pair<W, T> {
    /// The workload's name, as its criterion group spells it.
    pub name: &'static str,
    /// What one unit is (for the CPU column), and how many one iteration holds.
    pub unit: &'static str,
    pub units_per_iter: f64,
    pub wakeful: W,
    pub tokio: T,
}

/// One side's sums over the kept rounds.
#[derive(Default)]
struct Side {
    per_iter: Vec<f64>,
    cpu: Duration,
    iters: u64,
}

impl Side {
    fn run(&mut self, iters: u64, f: &mut impl FnMut(u64) -> Duration) {
        let cpu = process_cpu();
        let wall = f(iters);
        self.cpu += process_cpu().saturating_sub(cpu);
        self.iters += iters;
        self.per_iter.push(wall.as_secs_f64() / iters as f64);
    }

    fn cpu_per_unit(&self, units_per_iter: f64) -> f64 {
        self.cpu.as_secs_f64() / (self.iters as f64 * units_per_iter)
    }
}

/// User + system CPU time of this whole process so far.
pub fn process_cpu() -> Duration {
    cpu::process_cpu(std::process::id()).unwrap_or_default()
}

/// The header of the table [`Pair::measure`] prints a row of.
pub fn print_header(opts: &Options) {
    println!(
        "Interleaved: {} rounds per workload, order swapped every round.\n",
        opts.rounds
    );
    println!("| workload | iters/round | wakeful (median) | tokio (median) | wakeful/tokio: median of rounds | quartiles | CPU per unit, wakeful | tokio | CPU ratio |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
}

impl<W: FnMut(u64) -> Duration, T: FnMut(u64) -> Duration> Pair<W, T> {
    /// Runs the rounds and prints one row of the table.
    pub fn measure(mut self, opts: &Options, iters: u64) {
        let iters = opts.iters(iters);
        // Warm-up, not kept.
        (self.wakeful)(iters);
        (self.tokio)(iters);
        let (mut w, mut t) = (Side::default(), Side::default());
        for round in 0..opts.rounds {
            if round % 2 == 0 {
                w.run(iters, &mut self.wakeful);
                t.run(iters, &mut self.tokio);
            } else {
                t.run(iters, &mut self.tokio);
                w.run(iters, &mut self.wakeful);
            }
        }
        let ratios: Vec<f64> = w
            .per_iter
            .iter()
            .zip(&t.per_iter)
            .map(|(a, b)| a / b)
            .collect();
        let [q1, med, q3] = quartiles(ratios);
        let (cw, ct) = (
            w.cpu_per_unit(self.units_per_iter),
            t.cpu_per_unit(self.units_per_iter),
        );
        println!(
            "| {} | {iters} | {} | {} | **{med:.2}** | {q1:.2}-{q3:.2} | {:.1} µs/{unit} | {:.1} µs/{unit} | {} |",
            self.name,
            fmt_time(quartiles(w.per_iter)[1]),
            fmt_time(quartiles(t.per_iter)[1]),
            cw * 1e6,
            ct * 1e6,
            if ct > 0.0 {
                format!("{:.2}", cw / ct)
            } else {
                "-".to_string()
            },
            unit = self.unit,
        );
    }
}

/// First quartile, median, third quartile (linear interpolation between closest ranks).
fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let x = q * (v.len() - 1) as f64;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
    };
    [at(0.25), at(0.5), at(0.75)]
}

fn fmt_time(secs: f64) -> String {
    if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}
