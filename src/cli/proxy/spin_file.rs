//! `--spin-report-file PATH`: the spin report on disk, kept current, so the evidence of
//! what was spinning survives a restart.
//!
//! - At start, an existing `PATH` (the previous run's last report) is renamed `PATH.prev`
//!   before anything is written: restarting a misbehaving proxy keeps what it knew.
//! - Every [`EVERY`] the report (`Handle::spin_report`: every task flagged so far, the
//!   stalls, the runtime totals) is written to a temporary file beside `PATH` and renamed
//!   over it, so a reader never sees a half-written report. The write runs on the
//!   blocking pool, never on a worker.
//! - Once more at shutdown, after the connections are drained ([`write_atomically`]).
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::{info, warn};
use wakeful::runtime::{Handle, SpinReport};

/// How often the report is rewritten.
pub(crate) const EVERY: Duration = Duration::from_secs(5);

/// Renames an existing report at `path` to `path.prev`, and checks that `path`'s folder
/// takes a file (so a typo fails at start, not five seconds later).
pub(crate) fn prepare(path: &Path) -> io::Result<()> {
    if path.exists() {
        let prev = with_suffix(path, ".prev");
        std::fs::rename(path, &prev)?;
        info!("previous spin report kept at {}", prev.display());
    }
    let probe = tmp_path(path);
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Writes `report` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed over `path`.
pub(crate) fn write_atomically(path: &Path, report: &SpinReport) -> io::Result<()> {
    let tmp = tmp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(report.to_json().as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn tmp_path(path: &Path) -> PathBuf {
    with_suffix(path, &format!(".tmp.{}", std::process::id()))
}

/// Rewrites the report every [`EVERY`], until the runtime shuts down. Failures are
/// logged once per burst.
pub(crate) async fn keep_writing(path: PathBuf, handle: Handle) {
    let mut failing = false;
    loop {
        wakeful::time::sleep(EVERY).await;
        let (p, h) = (path.clone(), handle.clone());
        let written = handle
            .spawn_blocking(move || write_atomically(&p, &h.spin_report()))
            .await;
        match written {
            Ok(Ok(())) if failing => {
                info!("spin report file {} written again", path.display());
                failing = false;
            }
            Ok(Ok(())) => {}
            Ok(Err(e)) if !failing => {
                warn!("cannot write the spin report to {}: {e}", path.display());
                failing = true;
            }
            Ok(Err(_)) => {}
            Err(e) => warn!("spin report writer: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_keeps_the_previous_report_and_writes_replace_atomically() {
        let dir = std::env::temp_dir().join(format!("wakeful-spin-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("spin.json");
        std::fs::write(&path, "old evidence").unwrap();
        prepare(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("spin.json.prev")).unwrap(),
            "old evidence"
        );
        assert!(!path.exists());

        let rt = wakeful::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        write_atomically(&path, &rt.spin_report()).unwrap();
        let back = SpinReport::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.runtime.workers, 1);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prepare_refuses_a_missing_folder() {
        assert!(prepare(Path::new("/nonexistent-wakeful-dir/spin.json")).is_err());
    }
}
