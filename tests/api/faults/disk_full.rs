//! A full disk, for real: the server's data directory on a small tmpfs (mounting needs root
//! or CAP_SYS_ADMIN, which CI has; without them the test fails). PUTs and multipart parts
//! that do not fit answer `507 InsufficientStorage` (not retried by SDKs), an origin fill
//! that does not fit fails and stores nothing — on a disk with no room at all it answers
//! 507 too, as a PUT does — objects stored before stay readable, no temp file is left
//! behind, and once space is freed writes work again: the store is not poisoned by a full
//! disk.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::origin::signed_to;
use crate::support::process::ServeProcess;
use crate::support::server::xml_code;

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(at.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_cleanly_and_recovers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disk = Tmpfs::mount(&tmp.path().join("disk"), "16m")
        .expect("mounting a tmpfs (the test needs root or CAP_SYS_ADMIN)");
    let data = disk.0.join("data");
    let server = ServeProcess::start(&data);
    let ep = server.endpoint.clone();
    // An origin whose objects will not fit either.
    let origin = crate::support::stub_origin::StubOrigin::start().await;
    origin.ok("/o/big", vec![3u8; 6 * 1024 * 1024]);
    let put = |key: String, body: Vec<u8>| {
        signed_to(&ep, http::Method::PUT, &format!("/full/{key}"))
            .body(body)
            .send()
    };
    assert_eq!(
        signed_to(&ep, http::Method::PUT, "/full")
            .send()
            .await
            .expect("sent")
            .status(),
        200
    );
    let mib = vec![7u8; 1024 * 1024];
    let mut stored = Vec::new();
    let mut refusal = None;
    for i in 0..40 {
        let resp = put(format!("k{i}"), mib.clone()).await.expect("sent");
        if resp.status().is_success() {
            stored.push(format!("k{i}"));
        } else {
            refusal = Some((
                resp.status().as_u16(),
                xml_code(&resp.text().await.expect("body")),
            ));
            break;
        }
    }
    assert_eq!(
        refusal,
        Some((507, "InsufficientStorage".to_owned())),
        "after {} objects",
        stored.len()
    );
    assert!(stored.len() >= 5, "only {} objects fitted", stored.len());
    // A multipart part that does not fit is refused the same way.
    let create = signed_to(&ep, http::Method::POST, "/full/mp?uploads")
        .send()
        .await
        .expect("sent");
    let text = create.text().await.expect("body");
    let upload_id = text
        .split("<UploadId>")
        .nth(1)
        .and_then(|s| s.split("</UploadId>").next())
        .expect("upload id")
        .to_owned();
    let part = signed_to(
        &ep,
        http::Method::PUT,
        &format!("/full/mp?partNumber=1&uploadId={upload_id}"),
    )
    .body(vec![1u8; 8 * 1024 * 1024])
    .send()
    .await
    .expect("sent");
    assert_eq!(part.status().as_u16(), 507);
    // An origin fill that does not fit fails cleanly and stores nothing.
    let rule = crate::origin::Rule {
        prefix: "o/",
        ..crate::origin::Rule::mirror(&origin.host())
    };
    let resp = signed_to(&ep, http::Method::PUT, "/full?origin")
        .body(crate::origin::document(&[rule]))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let fill = signed_to(&ep, http::Method::GET, "/full/o/big")
        .send()
        .await
        .expect("sent");
    let fill_status = fill.status();
    let fill_body = fill.bytes().await.map(|b| b.len()).unwrap_or(0);
    assert!(
        fill_status.is_server_error() || fill_body < 6 * 1024 * 1024,
        "the fill did not fit: {fill_status}, {fill_body} bytes"
    );
    let listed = signed_to(&ep, http::Method::GET, "/full?list-type=2&prefix=o/")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(listed.contains("<KeyCount>0</KeyCount>"), "{listed}");
    // With no room left at all, a fill fails before its first byte: 507, as for a PUT,
    // and nothing is stored.
    origin.ok("/o/small", vec![4u8; 256 * 1024]);
    let filler = disk.0.join("filler");
    fill_up(&filler);
    let fill = signed_to(&ep, http::Method::GET, "/full/o/small")
        .send()
        .await
        .expect("sent");
    let status = fill.status().as_u16();
    let code = xml_code(&fill.text().await.expect("body"));
    assert_eq!((status, code.as_str()), (507, "InsufficientStorage"));
    let listed = signed_to(&ep, http::Method::GET, "/full?list-type=2&prefix=o/")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(listed.contains("<KeyCount>0</KeyCount>"), "{listed}");
    std::fs::remove_file(&filler).expect("filler removed");
    // What was stored is intact; no temp file is left.
    let first = signed_to(&ep, http::Method::GET, "/full/k0")
        .send()
        .await
        .expect("sent");
    assert_eq!(first.bytes().await.expect("body").as_ref(), mib.as_slice());
    let leftovers = std::fs::read_dir(data.join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "temp files left behind");

    // Free space: writes work again.
    for key in &stored[..3] {
        let resp = signed_to(&ep, http::Method::DELETE, &format!("/full/{key}"))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 204);
    }
    let again = put("again".into(), mib.clone()).await.expect("sent");
    assert_eq!(
        again.status(),
        200,
        "{}",
        again.text().await.unwrap_or_default()
    );
    drop(server);
    drop(disk);
}

/// Write `path` until the filesystem has no byte left, in ever smaller pieces.
fn fill_up(path: &Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).expect("filler created");
    for piece in [1024 * 1024, 64 * 1024, 4096, 512, 1] {
        let chunk = vec![0u8; piece];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
    }
    let _ = file.sync_all();
}
