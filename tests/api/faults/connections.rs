//! Connection bounds against slow and hostile clients, over raw TCP: a half-sent request
//! head and an idle keep-alive connection are closed within the header timeout; a body
//! that stalls is answered `400 RequestTimeout` and stores nothing; beyond
//! `max_connections` new connections wait while open ones keep being served; pipelined
//! requests are answered in order; `Expect: 100-continue` gets its `100 Continue`; a
//! client still sending a body the server refused reads the error, not a reset.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::server::TestServer;
use crate::support::wire::{parse_response, Head};

async fn server(max_connections: usize) -> TestServer {
    let s = TestServer::start_with(|c| {
        c.limits.header_timeout = Duration::from_secs(1);
        c.limits.body_idle_timeout = Duration::from_secs(1);
        c.limits.max_connections = max_connections;
    })
    .await;
    s.create_bucket("conn").await;
    s.put("conn", "k", "hello").await;
    s
}

/// Read until the server closes the connection (or `limit` passes): what it sent, and
/// how long that took.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "still open after {limit:?}");
    (got, started.elapsed())
}

/// An unsigned GET of the public-read-free object: the status line is enough.
fn get(host: &str, keep_alive: bool) -> String {
    format!(
        "GET /health HTTP/1.1\r\nhost: {host}\r\n{}\r\n",
        if keep_alive {
            ""
        } else {
            "connection: close\r\n"
        }
    )
}

#[tokio::test]
async fn slow_heads_and_idle_keep_alives_are_closed_in_time() {
    let s = server(64).await;
    let host = s.addr.to_string();
    // Half a request head, then silence.
    let mut half = TcpStream::connect(s.addr).await.expect("connect");
    half.write_all(format!("GET /conn/k HTTP/1.1\r\nhost: {host}\r\nx-slow:").as_bytes())
        .await
        .expect("write");
    let (_, took) = until_closed(&mut half, Duration::from_secs(5)).await;
    assert!(
        took >= Duration::from_millis(900),
        "closed too early: {took:?}"
    );

    // A served keep-alive connection left idle.
    let mut idle = TcpStream::connect(s.addr).await.expect("connect");
    idle.write_all(get(&host, true).as_bytes())
        .await
        .expect("write");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.expect("a response");
    assert_eq!(&first, b"HTTP/1.1 200");
    let (_, took) = until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_stalled_body_is_a_request_timeout_and_stores_nothing() {
    let s = server(64).await;
    let mut head = Head::new("PUT", "/conn/stalled", &s.addr.to_string());
    head.sign("UNSIGNED-PAYLOAD");
    let head = head.header("content-length", "100");
    let mut stream = TcpStream::connect(s.addr).await.expect("connect");
    stream
        .write_all(head.to_http().as_bytes())
        .await
        .expect("head");
    stream.write_all(&[b'x'; 10]).await.expect("some body");
    let (raw, took) = until_closed(&mut stream, Duration::from_secs(10)).await;
    let response = parse_response(&raw);
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response.body.contains("<Code>RequestTimeout</Code>"),
        "{response:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(s.get_error("conn", "stalled").await, "NoSuchKey");
}

/// An upload refused before its body is read (here: a bucket that does not exist) is
/// answered at once; the client, still sending its 32 MiB, must get to read that answer
/// instead of a connection reset (the server lingers: it reads and drops the rest).
#[tokio::test]
async fn a_client_still_sending_a_refused_body_reads_the_error() {
    let s = server(64).await;
    for attempt in 0..5 {
        let mut head = Head::new("PUT", "/no-such-bucket/k", &s.addr.to_string());
        head.sign("UNSIGNED-PAYLOAD");
        let head = head.header("content-length", (32 * 1024 * 1024).to_string());
        let mut stream = TcpStream::connect(s.addr).await.expect("connect");
        stream
            .write_all(head.to_http().as_bytes())
            .await
            .expect("head");
        let chunk = vec![b'x'; 1024 * 1024];
        for i in 0..32 {
            if let Err(e) = stream.write_all(&chunk).await {
                panic!("attempt {attempt}: sending MiB {i} failed: {e}");
            }
        }
        let (raw, _) = until_closed(&mut stream, Duration::from_secs(10)).await;
        let response = parse_response(&raw);
        assert_eq!(response.status, 404, "attempt {attempt}: {response:?}");
        assert_eq!(response.code(), "NoSuchBucket");
    }
}

#[tokio::test]
async fn beyond_max_connections_new_ones_wait_while_open_ones_are_served() {
    // No SDK client here (its pooled connection would hold a slot), and idle connections
    // are kept long enough not to free a slot by themselves.
    let s = TestServer::start_with(|c| {
        c.limits.header_timeout = Duration::from_secs(30);
        c.limits.max_connections = 2;
    })
    .await;
    let host = s.addr.to_string();
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(s.addr).await.expect("connect");
        c.write_all(get(&host, true).as_bytes())
            .await
            .expect("write");
        let mut status = [0u8; 12];
        c.read_exact(&mut status).await.expect("served");
        assert_eq!(&status, b"HTTP/1.1 200");
        open.push(c);
    }
    // A third connection waits: no answer while both slots are taken.
    let mut third = TcpStream::connect(s.addr)
        .await
        .expect("the backlog accepts it");
    third
        .write_all(get(&host, false).as_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 12];
    let early = tokio::time::timeout(Duration::from_millis(400), third.read_exact(&mut buf)).await;
    assert!(early.is_err(), "served beyond the limit");
    // The open ones keep being served meanwhile.
    let mut drain = [0u8; 4096];
    let n = open[0]
        .read(&mut drain)
        .await
        .expect("rest of the first answer");
    assert!(n > 0);
    open[0]
        .write_all(get(&host, true).as_bytes())
        .await
        .expect("write");
    let mut status = [0u8; 12];
    open[0].read_exact(&mut status).await.expect("still served");
    assert_eq!(&status, b"HTTP/1.1 200");
    // A slot frees up: the third is served.
    drop(open.pop());
    let served = tokio::time::timeout(Duration::from_secs(5), third.read_exact(&mut buf)).await;
    assert!(served.is_ok(), "the waiting connection was never served");
    assert_eq!(&buf, b"HTTP/1.1 200");
}

#[tokio::test]
async fn pipelined_requests_and_expect_continue() {
    let s = server(64).await;
    let host = s.addr.to_string();
    let mut stream = TcpStream::connect(s.addr).await.expect("connect");
    let two = format!("{}{}", get(&host, true), get(&host, false));
    stream.write_all(two.as_bytes()).await.expect("two at once");
    let (raw, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");

    let mut head = Head::new("PUT", "/conn/continued", &host);
    head.sign("UNSIGNED-PAYLOAD");
    let head = head
        .header("content-length", "5")
        .header("expect", "100-continue");
    let mut stream = TcpStream::connect(s.addr).await.expect("connect");
    stream
        .write_all(head.to_http().as_bytes())
        .await
        .expect("head");
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.expect("100 Continue");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"later").await.expect("body");
    let (raw, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(parse_response(&raw).status, 200);
    assert_eq!(s.get_bytes("conn", "continued").await, b"later");
}
