//! kill -9 of the real server in the middle of a fill.

use super::{document, read_at_least, signed_to, Rule, STATUS};
use crate::support::server::pattern;
use crate::support::stub_origin::{Behavior, StubOrigin};

/// kill -9 of the real server in the middle of an origin fill: after a restart nothing
/// partial is visible, the fill's temp file was swept, and the next GET fills cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_fill_leaves_nothing_partial() {
    use crate::support::process::ServeProcess;
    let data = pattern(4 * 1024 * 1024, 22);
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let origin = StubOrigin::serving(
        "/video.bin",
        Behavior::Gated {
            body: data.clone(),
            first: data.len() / 2,
            gate,
        },
    )
    .await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("start");
    let ep = server.endpoint.clone();
    assert_eq!(
        signed_to(&ep, http::Method::PUT, "/media")
            .send()
            .await
            .expect("mb")
            .status(),
        200
    );
    let resp = signed_to(&ep, http::Method::PUT, "/media?origin")
        .body(document(&[Rule::mirror(&origin.host())]))
        .send()
        .await
        .expect("origin");
    assert_eq!(resp.status(), 200);

    let mut resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let _ = read_at_least(&mut resp, data.len() / 2).await;
    let temp_files = || {
        std::fs::read_dir(data_dir.join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(temp_files(), 1, "the fill is being written");
    drop(server); // SIGKILL, mid-fill
    assert!(resp.bytes().await.is_err(), "the client sees the cut");

    origin.route(
        "/video.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    );
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("restart");
    let ep = server.endpoint.clone();
    assert_eq!(
        temp_files(),
        0,
        "the recovery sweep removed the partial fill"
    );
    let listed = signed_to(&ep, http::Method::GET, "/media?list-type=2")
        .send()
        .await
        .expect("list");
    assert!(
        !listed.text().await.expect("body").contains("<Key>"),
        "nothing partial is visible"
    );
    let resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert!(
        resp.bytes().await.expect("body") == data,
        "the fill after the restart is whole"
    );
    let resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()[STATUS], "hit");
    assert!(resp.bytes().await.expect("body") == data);
}
