//! `wakeful proxy` refuses bad flags and files with messages that say what is wrong,
//! before it binds anything.
use std::process::Command;

fn proxy(extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wakeful"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:9",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FILES: [&str; 4] = [
    "--cert",
    "/nonexistent/c.pem",
    "--key",
    "/nonexistent/k.pem",
];

#[test]
fn durations_need_a_unit_and_timeouts_must_be_positive() {
    let (ok, err) = proxy(&[&FILES[..], &["--idle-timeout", "300"]].concat());
    assert!(!ok);
    assert!(
        err.contains("--idle-timeout") && err.contains("missing unit"),
        "{err}"
    );
    let (ok, err) = proxy(&[&FILES[..], &["--handshake-timeout", "0s"]].concat());
    assert!(!ok && err.contains("must be more than 0"), "{err}");
    let (ok, err) = proxy(&[&FILES[..], &["--grace", "10 parsecs"]].concat());
    assert!(!ok && err.contains("--grace"), "{err}");
    let (ok, err) = proxy(&[&FILES[..], &["--max-conns", "0"]].concat());
    assert!(!ok && err.contains("--max-conns"), "{err}");
}

#[test]
fn missing_and_empty_files_are_named() {
    let (ok, err) = proxy(&FILES);
    assert!(!ok && err.contains("--cert /nonexistent/c.pem"), "{err}");
    let (ok, err) = proxy(&["--cert", "/nonexistent/c.pem"]);
    assert!(
        !ok && err.contains("--key"),
        "clap names the missing flag: {err}"
    );

    // Files that exist but hold no certificate / key.
    let dir = std::env::temp_dir().join(format!("wakeful-cli-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a pem file\n").unwrap();
    let empty = empty.to_str().unwrap();
    let (ok, err) = proxy(&["--cert", empty, "--key", empty]);
    assert!(!ok && err.contains("no certificate"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
