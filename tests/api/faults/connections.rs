//! Connection bounds against slow and hostile clients, over raw TCP: a half-sent request
//! head and an idle keep-alive connection are closed within the header timeout; a body
//! that stalls is answered `400 RequestTimeout` and stores nothing; beyond
//! `max_connections` the connection idle the longest makes room (3,000 idle sockets do not
//! lock a client out), new ones wait only while all are busy, and one address holds at most
//! `max_connections_per_address` (503 SlowDown beyond, when all are busy); pipelined
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

/// The head of an unsigned-payload PUT of `length` bytes to `conn/busy`: a connection that
/// sent it and part of its body has a request in flight.
fn busy_put(s: &TestServer, length: usize) -> String {
    let mut head = Head::new("PUT", "/conn/busy", &s.addr.to_string());
    head.sign("UNSIGNED-PAYLOAD");
    head.header("content-length", length.to_string()).to_http()
}

/// `n` connections, each with an upload of 10 bytes in flight (half its body sent), once
/// the server has read their heads.
async fn busy_uploads(s: &TestServer, n: usize) -> Vec<TcpStream> {
    let mut busy = Vec::new();
    for _ in 0..n {
        let mut c = TcpStream::connect(s.addr).await.expect("connect");
        c.write_all(busy_put(s, 10).as_bytes()).await.expect("head");
        c.write_all(b"12345").await.expect("half the body");
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    busy
}

#[tokio::test]
async fn beyond_max_connections_new_ones_wait_while_open_ones_are_busy() {
    // No SDK client here (its pooled connection would hold a slot).
    let s = TestServer::start_with(|c| {
        c.limits.header_timeout = Duration::from_secs(30);
        c.limits.max_connections = 2;
    })
    .await;
    s.create_bucket("conn").await;
    let host = s.addr.to_string();
    let mut busy = busy_uploads(&s, 2).await;
    // A third connection waits: no answer while both slots are busy.
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
    // The first upload ends: it is answered in full, and its connection, now idle, is the
    // one closed to admit the third, which is served.
    busy[0].write_all(b"67890").await.expect("the rest");
    let (raw, _) = until_closed(&mut busy[0], Duration::from_secs(5)).await;
    assert_eq!(
        parse_response(&raw).status,
        200,
        "the upload was answered: {:?}",
        String::from_utf8_lossy(&raw)
    );
    let served = tokio::time::timeout(Duration::from_secs(5), third.read_exact(&mut buf)).await;
    assert!(served.is_ok(), "the waiting connection was never served");
    assert_eq!(&buf, b"HTTP/1.1 200");
    // The other upload was never disturbed.
    busy[1].write_all(b"67890").await.expect("the rest");
    let mut status = [0u8; 12];
    busy[1].read_exact(&mut status).await.expect("answered");
    assert_eq!(&status, b"HTTP/1.1 200");
}

/// The soft limit on open files of this process, from /proc.
fn open_file_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// 3,000 idle connections (connected, nothing sent) against 1,024 slots must not lock a
/// client out: when the slots are full the connection idle the longest is closed, oldest
/// first, and a new client's GET is answered within a second.
#[tokio::test]
async fn thousands_of_idle_connections_do_not_lock_clients_out() {
    const IDLE: usize = 3000;
    assert!(
        open_file_limit() > IDLE + 1024 + 200,
        "this test needs {} open files (ulimit -n)",
        IDLE + 1024 + 200
    );
    let s = TestServer::start_with(|c| {
        c.limits.header_timeout = Duration::from_secs(60);
        c.limits.max_connections = 1024;
        c.limits.max_connections_per_address = 0;
    })
    .await;
    s.create_bucket("conn").await;
    s.put("conn", "k", "hello").await;
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let c = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(s.addr))
            .await
            .unwrap_or_else(|_| panic!("connection {i} was not accepted within 5 s"))
            .expect("connect");
        idle.push(c);
    }
    let host = s.addr.to_string();
    let started = Instant::now();
    let mut client = TcpStream::connect(s.addr).await.expect("connect");
    client
        .write_all(get(&host, false).as_bytes())
        .await
        .expect("write");
    let mut status = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(1), client.read_exact(&mut status))
        .await
        .expect("a GET answered within a second")
        .expect("read");
    assert_eq!(&status, b"HTTP/1.1 200", "after {:?}", started.elapsed());
    // Oldest first: the first idle connections were closed, the last ones are still open.
    let mut first = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), idle[0].read(&mut first)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the oldest idle one is closed"
    );
    let read =
        tokio::time::timeout(Duration::from_millis(200), idle[IDLE - 1].read(&mut first)).await;
    assert!(read.is_err(), "the newest idle one is still open");
}

/// One address holds at most `max_connections_per_address`: at the bound its own idle
/// connection is closed for a new one; when all of its connections are busy the new one
/// is answered 503 SlowDown.
#[tokio::test]
async fn connections_per_address_are_bounded() {
    let s = TestServer::start_with(|c| {
        c.limits.header_timeout = Duration::from_secs(30);
        c.limits.max_connections = 64;
        c.limits.max_connections_per_address = 2;
    })
    .await;
    s.create_bucket("conn").await;
    let host = s.addr.to_string();
    let mut busy = busy_uploads(&s, 2).await;
    let mut refused = TcpStream::connect(s.addr).await.expect("connect");
    let (raw, _) = until_closed(&mut refused, Duration::from_secs(5)).await;
    let response = parse_response(&raw);
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.code(), "SlowDown");
    // Both uploads end; their connections are idle now: a new one closes the older.
    for c in &mut busy {
        c.write_all(b"67890").await.expect("the rest");
        let mut status = [0u8; 12];
        c.read_exact(&mut status).await.expect("answered");
        assert_eq!(&status, b"HTTP/1.1 200");
    }
    let mut next = TcpStream::connect(s.addr).await.expect("connect");
    next.write_all(get(&host, false).as_bytes())
        .await
        .expect("write");
    let mut status = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(2), next.read_exact(&mut status))
        .await
        .expect("admitted")
        .expect("read");
    assert_eq!(&status, b"HTTP/1.1 200");
    let (_, _) = until_closed(&mut busy[0], Duration::from_secs(2)).await;
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
