//! Spin reports: a snapshot of the flagged tasks (or every task), the stalls, and the
//! runtime's totals. The JSON field names are a contract (see `docs/spin-reports.md`).
use super::stats::{flag, RATIO_ONE};
use super::FlaggedInfo;
use crate::scheduler::Shared;
use crate::task::Task;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A snapshot of what is spinning in a runtime.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct SpinReport {
    /// When the snapshot was taken, in milliseconds since the Unix epoch.
    pub taken_at_ms: u64,
    /// Flagged tasks (current and past, worst first); with `spin_report_all`, every live task too.
    pub tasks: Vec<TaskReport>,
    /// Polls that ran longer than the stall threshold (most recent kept).
    pub stalls: Vec<StallReport>,
    /// Runtime-wide totals.
    pub runtime: RuntimeSummary,
}

/// Where a task stands with the spin detector.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TaskState {
    /// Running normally (never flagged, or flagged but currently restored by a real wake).
    Active,
    /// Flagged and demoted: its self-wakes wait out a backoff.
    Demoted,
    /// Was flagged, then made enough progress to be unflagged (alive or finished).
    Recovered,
    /// Finished without recovering (completed, cancelled or panicked while flagged, or a
    /// task that was never flagged).
    Finished,
}

/// Wakes by source.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wakes {
    /// The task's own waker, during its own poll (includes demotion backoff re-polls).
    #[serde(rename = "self")]
    pub self_: u64,
    /// The reactor reported readiness.
    pub io: u64,
    /// A timer fired.
    pub timer: u64,
    /// Another task's poll (including futile wake chains).
    pub task: u64,
    /// A thread outside the runtime.
    pub foreign: u64,
}

impl Wakes {
    /// From counts in the slot order of `TaskStats::wakes`.
    fn from_slots([self_, io, timer, task, foreign]: [u64; 5]) -> Wakes {
        Wakes {
            self_,
            io,
            timer,
            task,
            foreign,
        }
    }
}

/// Poll durations in microseconds (from the task's histogram while flagged).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct PollTimes {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
}

/// One task's accounting.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct TaskReport {
    /// The task id (`JoinHandle::id`).
    pub id: u64,
    /// The name given at spawn (`task::Builder::name`).
    pub name: Option<String>,
    /// `std::any::type_name` of the spawned future: the full type chain.
    pub type_name: String,
    /// `file:line:col` of the spawn call.
    pub spawned_at: String,
    /// Where it stands with the detector.
    pub state: TaskState,
    /// Times polled.
    pub polls: u64,
    /// Polls that returned `Ready` (0 or 1).
    pub ready_polls: u64,
    /// Polls that made progress (see `docs/spin-reports.md`).
    pub progress_polls: u64,
    /// Polls woken only by the task itself (or a futile chain) that returned `Pending` without progress.
    pub futile_polls: u64,
    /// Longest run of consecutive futile polls.
    pub max_futile_streak: u64,
    /// Polls preceded by a wake from each source.
    pub wakes: Wakes,
    /// Wakes (all sources) per poll that made progress; wakes / 1 if none did.
    pub wake_to_work: f64,
    /// When the task was first flagged, in milliseconds since the Unix epoch.
    pub first_flagged_ms: Option<u64>,
    /// Times the task entered demotion.
    pub times_demoted: u64,
    /// Poll durations while flagged, in microseconds.
    pub poll_us: PollTimes,
    /// The first frame outside the runtime and std of the first self-wake seen after
    /// flagging: where the task wakes itself.
    pub self_wake_site: Option<String>,
    /// The frames of that self-wake's stack outside the runtime, innermost first.
    #[serde(default)]
    pub self_wake_stack: Vec<String>,
    /// Currently flagged.
    #[serde(default)]
    pub flagged: bool,
    /// The current run of consecutive futile polls.
    #[serde(default)]
    pub futile_streak: u64,
    /// The decaying share of futile polls, 0 to 1.
    #[serde(default)]
    pub futile_ratio: f64,
}

/// A poll that did not return for longer than the stall threshold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct StallReport {
    /// The task being polled.
    pub task_id: u64,
    /// Its future's type name.
    pub type_name: String,
    /// Its spawn site.
    pub spawned_at: String,
    /// How long the poll ran (so far, if ongoing).
    pub duration_ms: u64,
    /// Still inside that poll when the report was taken.
    pub ongoing: bool,
    /// The task's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The worker that was stuck.
    #[serde(default)]
    pub worker: u64,
}

/// Runtime-wide totals.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct RuntimeSummary {
    /// Worker threads.
    pub workers: u64,
    /// Tasks spawned and not finished.
    pub tasks_alive: u64,
    /// Tasks ever flagged.
    pub flagged_total: u64,
    /// Flagged tasks currently demoted.
    pub demoted_now: u64,
    /// Stalls ever seen.
    pub stalls_total: u64,
    /// Polls by the workers.
    #[serde(default)]
    pub polls: u64,
    /// Futile polls.
    #[serde(default)]
    pub futile_polls: u64,
    /// Polls preceded by a wake from each source.
    #[serde(default)]
    pub wakes: Wakes,
    /// Successful steals.
    #[serde(default)]
    pub steals: u64,
    /// Times a worker went to sleep.
    #[serde(default)]
    pub parks: u64,
    /// Sampled poll durations across the runtime, in microseconds.
    #[serde(default)]
    pub poll_us: PollTimes,
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn times(h: &Histogram<u64>) -> PollTimes {
    if h.is_empty() {
        return PollTimes::default();
    }
    PollTimes {
        p50: h.value_at_quantile(0.5) as f64,
        p99: h.value_at_quantile(0.99) as f64,
        max: h.max() as f64,
    }
}

/// Frames of a captured self-wake stack that are not the runtime, std or core.
fn user_frames(info: &FlaggedInfo) -> Vec<String> {
    let Some(bt) = info.self_wake_backtrace() else {
        return Vec::new();
    };
    let frames = super::frames::backtrace_frames(&bt.to_string());
    // Skip everything up to and including the waker machinery, then runtime/std frames.
    frames
        .into_iter()
        .skip_while(|(s, at)| is_runtime_frame(s, at.as_deref()))
        .filter(|(s, at)| !is_runtime_frame(s, at.as_deref()))
        .take(12)
        .map(|(s, at)| match at {
            Some(at) => format!("{s} at {at}"),
            None => s,
        })
        .collect()
}

/// A frame of the runtime, the standard library, or thread start-up: not the culprit.
/// Inlined frames print bare symbol names, so the source location decides as well.
fn is_runtime_frame(symbol: &str, location: Option<&str>) -> bool {
    const PREFIXES: [&str; 8] = [
        "std::",
        "core::",
        "alloc::",
        "<std::",
        "<core::",
        "<alloc::",
        "wakeful_executor::",
        "<wakeful_executor::",
    ];
    const THREAD_START: [&str; 4] = ["start_thread", "clone", "__clone", "thread_start"];
    if PREFIXES.iter().any(|p| symbol.starts_with(p))
        || symbol.starts_with("__rust")
        || symbol.starts_with("rust_begin_unwind")
        || THREAD_START.iter().any(|p| symbol.starts_with(p))
    {
        return true;
    }
    let Some(loc) = location else {
        return false;
    };
    // This crate's sources, wherever it was built from ("executor/src/" in the workspace,
    // ".../wakeful-executor-x.y.z/src/" as a dependency).
    let crate_src = file!()
        .strip_suffix("instrument/report.rs")
        .unwrap_or("executor/src/");
    loc.contains(crate_src)
        || loc.contains("/rustc/")
        || loc.contains("/library/std/")
        || loc.contains("/library/core/")
        || loc.contains("/library/alloc/")
        || loc.contains("/nptl/")
}

fn task_report(task: &Task, runtime_start_epoch_ms: u64) -> TaskReport {
    let h = task.header();
    let s = &h.stats;
    let wakes = Wakes::from_slots(s.wakes.each_ref().map(|w| w.get()));
    let total_wakes = wakes.self_ + wakes.io + wakes.timer + wakes.task + wakes.foreign;
    let info = s.flagged_info();
    let state = if s.has(flag::DEMOTED) && !s.has(flag::FINISHED) {
        TaskState::Demoted
    } else if s.has(flag::RECOVERED) {
        TaskState::Recovered
    } else if s.has(flag::FINISHED) {
        TaskState::Finished
    } else {
        TaskState::Active
    };
    let stack = info
        .filter(|i| i.self_wake_backtrace().is_some())
        .map(|i| i.self_wake_frames.get_or_init(|| user_frames(i)).clone())
        .unwrap_or_default();
    TaskReport {
        id: h.id.as_u64(),
        name: h.meta.name.as_deref().map(str::to_owned),
        type_name: h.meta.type_name.to_owned(),
        spawned_at: h.meta.spawned_at.to_string(),
        state,
        polls: s.polls.get(),
        ready_polls: s.ready_polls.get(),
        progress_polls: s.progress_polls.get(),
        futile_polls: s.futile_polls.get(),
        // The maximum is folded in when a futile run ends; a run still going counts too.
        max_futile_streak: s.max_futile_streak.get().max(s.futile_streak()),
        wakes,
        wake_to_work: total_wakes as f64 / s.progress_polls.get().max(1) as f64,
        first_flagged_ms: info.map(|i| runtime_start_epoch_ms + i.first_flagged_ms),
        times_demoted: s.times_demoted.get(),
        poll_us: info.map(|i| times(&i.poll_us.lock())).unwrap_or_default(),
        self_wake_site: stack.first().cloned(),
        self_wake_stack: stack,
        flagged: s.has(flag::FLAGGED),
        futile_streak: s.futile_streak(),
        futile_ratio: s.futile_ratio.get() as f64 / RATIO_ONE as f64,
    }
}

/// Takes a report of `shared`'s runtime.
pub(crate) fn take(shared: &Shared, all: bool) -> SpinReport {
    let inst = &shared.instrument;
    let now_epoch = epoch_ms();
    let start_epoch = now_epoch.saturating_sub(inst.clock.start().elapsed().as_millis() as u64);
    let flagged = inst.flagged_tasks();
    let demoted_now = flagged
        .iter()
        .filter(|t| {
            let s = &t.header().stats;
            s.has(flag::DEMOTED) && !s.has(flag::FINISHED)
        })
        .count() as u64;
    let mut tasks: Vec<TaskReport> = flagged
        .iter()
        .map(|t| task_report(t, start_epoch))
        .collect();
    if all {
        for t in shared.owned.snapshot() {
            if !flagged.iter().any(|f| f.id() == t.id()) {
                tasks.push(task_report(&t, start_epoch));
            }
        }
    }
    tasks.sort_by(|a, b| {
        (b.flagged, b.futile_polls, b.polls).cmp(&(a.flagged, a.futile_polls, a.polls))
    });
    let stalls = inst
        .stalls()
        .into_iter()
        .map(|s| StallReport {
            task_id: s.task_id,
            type_name: s.type_name.to_owned(),
            spawned_at: s.spawned_at,
            duration_ms: s.duration_ms,
            ongoing: s.ongoing,
            name: s.name,
            worker: s.worker as u64,
        })
        .collect();
    let (mut steals, mut parks) = (0, 0);
    for w in inst.workers.iter() {
        steals += w.steals.get();
        parks += w.parks.get();
    }
    let totals = shared.owned.totals();
    let wakes = Wakes::from_slots(totals.wakes);
    SpinReport {
        taken_at_ms: now_epoch,
        tasks,
        stalls,
        runtime: RuntimeSummary {
            workers: shared.remotes.len() as u64,
            tasks_alive: shared.owned.len() as u64,
            flagged_total: inst.flagged_total(),
            demoted_now,
            stalls_total: inst.stalls_total(),
            polls: totals.polls,
            futile_polls: totals.futile_polls,
            wakes,
            steals,
            parks,
            poll_us: times(&inst.poll_histogram()),
        },
    }
}

impl SpinReport {
    /// The report as pretty-printed JSON (the schema of `docs/spin-reports.md`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a spin report always serializes")
    }

    /// Parses a report saved with [`to_json`](Self::to_json).
    pub fn from_json(json: &str) -> Result<SpinReport, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Reports of currently flagged tasks.
    pub fn flagged(&self) -> impl Iterator<Item = &TaskReport> {
        self.tasks.iter().filter(|t| t.flagged)
    }

    /// The report of the task with this id, if listed.
    pub fn task(&self, id: u64) -> Option<&TaskReport> {
        self.tasks.iter().find(|t| t.id == id)
    }
}

/// Keeps the start of a name (its most specific part).
fn truncate_end(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let keep: String = s.chars().take(n - 1).collect();
        format!("{keep}…")
    }
}

/// Keeps the end of a type path (the type itself; the crate prefix is the least telling).
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let keep: String = s
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{keep}")
    }
}

impl fmt::Display for SpinReport {
    /// An aligned table, worst first, then the stalls and the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.runtime;
        writeln!(
            f,
            "wakeful spin report: {} workers, {} tasks alive, {} flagged so far, {} demoted now, {} stalls",
            r.workers, r.tasks_alive, r.flagged_total, r.demoted_now, r.stalls_total
        )?;
        if self.tasks.is_empty() {
            writeln!(f, "no spinning tasks")?;
        } else {
            writeln!(
                f,
                "{:>6} {:<9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}  {:<24} {:<40} SPAWNED AT",
                "ID",
                "STATE",
                "POLLS",
                "FUTILE",
                "PROGRESS",
                "SELF",
                "W/WORK",
                "DEMOTED",
                "NAME",
                "TYPE"
            )?;
            for t in &self.tasks {
                let state = match t.state {
                    TaskState::Active => "active",
                    TaskState::Demoted => "demoted",
                    TaskState::Recovered => "recovered",
                    TaskState::Finished => "finished",
                };
                writeln!(
                    f,
                    "{:>6} {:<9} {:>9} {:>9} {:>9} {:>9} {:>8.1} {:>8}  {:<24} {:<40} {}",
                    t.id,
                    state,
                    t.polls,
                    t.futile_polls,
                    t.progress_polls,
                    t.wakes.self_,
                    t.wake_to_work,
                    t.times_demoted,
                    truncate_end(t.name.as_deref().unwrap_or("-"), 24),
                    truncate(&t.type_name, 40),
                    t.spawned_at
                )?;
                if let Some(site) = &t.self_wake_site {
                    writeln!(f, "{:>6} self-wake at {site}", "")?;
                }
            }
        }
        for s in &self.stalls {
            writeln!(
                f,
                "stall: task {} ({}) spawned at {} {} {} ms in one poll on worker {}",
                s.task_id,
                s.type_name,
                s.spawned_at,
                if s.ongoing { "has been" } else { "spent" },
                s.duration_ms,
                s.worker
            )?;
        }
        Ok(())
    }
}
