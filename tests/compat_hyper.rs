//! Swap-in: unmodified hyper 1.x, server and client, on wakeful sockets and tasks through
//! hyper-util's `TokioIo` (wakeful's `tokio-io` traits), as a tokio program would run it.
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{path}: {} bytes",
        body.len()
    )))))
}

#[test]
fn hyper_server_and_client_run_on_wakeful_via_tokio_io() {
    let rt = wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let answers = rt.block_on(async {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = wakeful::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), hyper::service::service_fn(hello))
                .await
                .unwrap();
        });
        let tcp = wakeful::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        let conn = wakeful::spawn(conn);
        let mut answers = Vec::new();
        for (path, body) in [("/a", "x"), ("/bb", "yyyy")] {
            let req = Request::post(path)
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            sender.ready().await.unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            answers.push(String::from_utf8(bytes.to_vec()).unwrap());
        }
        drop(sender);
        conn.await.unwrap().unwrap();
        server.await.unwrap();
        answers
    });
    assert_eq!(answers, ["/a: 1 bytes", "/bb: 4 bytes"]);
    assert_eq!(rt.spin_report().runtime.flagged_total, 0);
}
