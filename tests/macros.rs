//! `#[wakeful::main]` and `#[wakeful::test]` build a runtime and block on the body.

#[wakeful::test]
async fn test_macro_runs_the_body_on_a_two_worker_runtime() {
    assert_eq!(wakeful::spawn(async { 21 * 2 }).await.unwrap(), 42);
    assert_eq!(wakeful::runtime::Handle::current().num_workers(), 2);
}

#[wakeful::test(worker_threads = 3)]
async fn worker_threads_option_is_applied() {
    assert_eq!(wakeful::runtime::Handle::current().num_workers(), 3);
}

#[wakeful::test(crate = "::wakeful", worker_threads = 1)]
async fn crate_option_and_result_return() -> Result<(), std::io::Error> {
    let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
    assert!(listener.local_addr()?.port() > 0);
    Ok(())
}

mod as_main {
    // `#[wakeful::main]` on a function named `main` in a module: callable like any fn.
    #[wakeful::main(worker_threads = 2)]
    pub async fn main() -> u32 {
        wakeful::spawn(async { 7 }).await.unwrap()
    }
}

#[test]
fn main_macro_builds_a_runtime_and_returns_the_body_value() {
    assert_eq!(as_main::main(), 7);
}
