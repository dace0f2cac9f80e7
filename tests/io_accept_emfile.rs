//! Out of file descriptors: `accept` returns `EMFILE` to the caller (who decides how to
//! back off) instead of hanging or spinning inside the driver, keeps returning it while the
//! condition lasts, and accepts the waiting connection once descriptors are free again.
//!
//! One test in this binary: it exhausts the process's descriptors.
mod io_support;

use io_support::{rt, watchdog};
use wakeful::net::{TcpListener, TcpStream};

const EMFILE: i32 = 24;

#[test]
fn accept_returns_emfile_to_the_caller() {
    let _guard = watchdog("accept_returns_emfile_to_the_caller", 60);
    let rt = rt(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();

        let mut hoard = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => hoard.push(f),
                Err(e) if e.raw_os_error() == Some(EMFILE) => break,
                Err(e) => panic!("unexpected error while exhausting descriptors: {e}"),
            }
        }
        for _ in 0..3 {
            let err = listener.accept().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(EMFILE), "{err}");
        }
        hoard.truncate(hoard.len() - 16);
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    });
}
