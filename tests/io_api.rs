//! The facade's contracts: the runtime newtypes, where sockets and timers find their driver,
//! what happens outside a runtime and after shutdown, and the auto traits of public types.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{rt, watchdog};
use std::time::Duration;
use wakeful::net::{tcp, TcpListener, TcpStream, UdpSocket};
use wakeful::runtime::{Builder, Runtime};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_unpin<T: Unpin>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<TcpListener>();
    assert_send_sync::<TcpStream>();
    assert_send_sync::<UdpSocket>();
    assert_send_sync::<tcp::OwnedReadHalf>();
    assert_send_sync::<tcp::OwnedWriteHalf>();
    assert_send_sync::<tcp::ReadHalf<'static>>();
    assert_send_sync::<tcp::WriteHalf<'static>>();
    assert_send_sync::<wakeful::time::Sleep>();
    assert_send_sync::<wakeful::time::Timeout<std::future::Ready<()>>>();
    assert_send_sync::<wakeful::time::Interval>();
    assert_send_sync::<wakeful::time::Instant>();
    assert_send_sync::<wakeful::time::error::Elapsed>();
    assert_send_sync::<Runtime>();
    assert_send_sync::<Builder>();
    assert_unpin::<wakeful::time::Sleep>();
    assert_unpin::<TcpStream>();
}

async fn echo_once() -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    client.write_all(b"ok").await.unwrap();
    let mut buf = vec![0; 2];
    server.read_exact(&mut buf).await.unwrap();
    buf
}

#[test]
fn one_builder_builds_independent_runtimes() {
    let _guard = watchdog("one_builder_builds_independent_runtimes", 60);
    let mut builder = Builder::new_multi_thread();
    builder
        .worker_threads(1)
        .thread_name("api")
        .enable_all()
        .enable_io()
        .enable_time()
        .max_blocking_threads(4)
        .thread_keep_alive(Duration::from_secs(1))
        .spin_detection(true)
        .spin_threshold(64)
        .spin_min_duration(Duration::from_millis(100))
        .spin_backoff(Duration::from_micros(50), Duration::from_millis(10))
        .stall_threshold(Duration::from_millis(100))
        .global_queue_interval(31);
    let a = builder.build().unwrap();
    let b = builder.build().unwrap();
    assert_eq!(a.handle().num_workers(), 1);
    assert_eq!(a.block_on(echo_once()), b"ok");
    assert_eq!(b.block_on(echo_once()), b"ok");
    drop(a);
    // The second runtime's driver is its own: still working after the first is gone.
    assert_eq!(b.block_on(echo_once()), b"ok");
    b.block_on(async { wakeful::time::sleep(Duration::from_millis(1)).await });
    b.shutdown_timeout(Duration::from_secs(10));
}

#[test]
fn runtime_new_spawn_and_enter() {
    let _guard = watchdog("runtime_new_spawn_and_enter", 60);
    let rt = Runtime::new().unwrap();
    let task = rt.spawn(echo_once());
    assert_eq!(rt.block_on(task).unwrap(), b"ok");
    // Inside `enter`, sockets find the runtime without `block_on`.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listener = {
        let _enter = rt.enter();
        TcpListener::from_std(std_listener).unwrap()
    };
    let addr = listener.local_addr().unwrap();
    let accepted = rt.spawn(async move { listener.accept().await.map(|(_, a)| a) });
    let client = rt.block_on(TcpStream::connect(addr)).unwrap();
    assert_eq!(
        rt.block_on(accepted).unwrap().unwrap(),
        client.local_addr().unwrap()
    );
    let blocking = rt.spawn_blocking(|| 7);
    assert_eq!(rt.block_on(blocking).unwrap(), 7);
    assert!(rt.spin_report().tasks.is_empty());
    rt.shutdown_background();
}

#[test]
fn names_resolve_on_the_blocking_pool() {
    let _guard = watchdog("names_resolve_on_the_blocking_pool", 60);
    rt(1).block_on(async {
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let addrs: Vec<_> = wakeful::net::lookup_host(format!("localhost:{port}"))
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == port));
    });
}

#[test]
fn outside_a_runtime_sockets_fail_and_timers_panic() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std_listener).unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
    let panic = std::panic::catch_unwind(|| wakeful::time::sleep(Duration::from_millis(1)));
    assert!(panic.is_err(), "sleep outside a runtime must panic");
}

#[test]
fn sockets_fail_after_their_runtime_shut_down() {
    let _guard = watchdog("sockets_fail_after_their_runtime_shut_down", 60);
    let rt = rt(1);
    let (mut client, server) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    });
    rt.shutdown_timeout(Duration::from_secs(10));
    // Polled from another runtime: the read fails instead of waiting forever.
    let other = rt_with_name("other");
    let err = other
        .block_on(async { client.read(&mut [0u8; 4]).await })
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
    drop(server);
}

fn rt_with_name(name: &str) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .build()
        .unwrap()
}
