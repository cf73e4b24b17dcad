//! A versioned origin bucket: a fill is a version like any write, and a local delete is a
//! delete marker that plays the tombstone's part: the key is not pulled again while its
//! current version is a marker; deleting the marker makes the previous version, or the
//! origin when there is none, the source again.

use super::{get, setup, Rule, STATUS};
use crate::support::stub_origin::StubOrigin;

#[tokio::test]
async fn a_delete_marker_is_the_tombstone_and_removing_it_restores_the_source() {
    let origin = StubOrigin::start().await;
    origin.ok("/doc.txt", "from the origin");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    s.set_versioning("site", aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .await;

    // The fill is a version with its own id.
    let resp = get(&s, "/site/doc.txt").await;
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(resp.text().await.expect("body"), "from the origin");
    let filled = s.get_object("site", "doc.txt").await;
    let v1 = filled.version_id().expect("a fill is a version").to_owned();
    assert_ne!(v1, "null");

    // A local delete is a marker; the key stays deleted and the origin is not asked.
    let deleted = s
        .client
        .delete_object()
        .bucket("site")
        .key("doc.txt")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.delete_marker(), Some(true));
    let marker = deleted.version_id().expect("marker id").to_owned();
    let resp = get(&s, "/site/doc.txt").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-amz-delete-marker"], "true");
    assert_eq!(
        origin.count("/doc.txt"),
        1,
        "a deleted key is not pulled again"
    );
    // The filled version is still there by id.
    let resp = get(&s, &format!("/site/doc.txt?versionId={v1}")).await;
    assert_eq!(resp.status(), 200);

    // Removing the marker makes the filled version current again: a local hit.
    s.client
        .delete_object()
        .bucket("site")
        .key("doc.txt")
        .version_id(&marker)
        .send()
        .await
        .expect("delete the marker");
    let resp = get(&s, "/site/doc.txt").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    assert_eq!(resp.headers()["x-amz-version-id"], v1.as_str());
    assert_eq!(origin.count("/doc.txt"), 1);

    // With no version left, the origin is the source again, and its answer a new version.
    origin.ok("/doc.txt", "changed on the origin");
    s.client
        .delete_object()
        .bucket("site")
        .key("doc.txt")
        .version_id(&v1)
        .send()
        .await
        .expect("delete v1");
    let resp = get(&s, "/site/doc.txt").await;
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(resp.text().await.expect("body"), "changed on the origin");
    assert_eq!(origin.count("/doc.txt"), 2);
    let refilled = s.get_object("site", "doc.txt").await;
    assert!(refilled.version_id().is_some_and(|v| v != v1));
}
