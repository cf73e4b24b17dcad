//! `POST /{bucket}?origin-purge`: the local copies of origin-filled objects go, by prefix (a
//! walk over more than one page) or by key, and the next GET pulls again; objects written
//! locally stay; only the owner may purge; a malformed request is MalformedXML.

use super::{get, setup, Rule, STATUS};
use crate::support::server::xml_code;
use crate::support::stub_origin::StubOrigin;

async fn purge(s: &crate::support::server::TestServer, body: &str) -> (u16, String) {
    let resp = s
        .signed(http::Method::POST, "/site?origin-purge")
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

#[tokio::test]
async fn purged_copies_are_pulled_again_and_local_writes_stay() {
    let origin = StubOrigin::start().await;
    // 1,100 objects under img/ (more than one page of the walk), one under doc/.
    for i in 0..1100 {
        origin.ok(&format!("/img/{i:04}.png"), format!("origin {i}"));
    }
    origin.ok("/doc/readme.txt", "origin readme");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    for i in 0..1100 {
        assert_eq!(
            get(&s, &format!("/site/img/{i:04}.png")).await.status(),
            200
        );
    }
    assert_eq!(get(&s, "/site/doc/readme.txt").await.status(), 200);
    s.put("site", "img/local.png", "written here").await;
    let hit = get(&s, "/site/img/0000.png").await;
    assert_eq!(hit.headers()[STATUS], "hit");

    let (status, body) = purge(&s, "<Purge><Prefix>img/</Prefix></Purge>").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<Purged>1100</Purged></PurgeResult>"),
        "{body}"
    );
    // Pulled again on the next GET; the local write and the other prefix untouched.
    let before = origin.count("/img/0042.png");
    let again = get(&s, "/site/img/0042.png").await;
    assert_ne!(again.headers()[STATUS], "hit");
    assert_eq!(again.text().await.expect("body"), "origin 42");
    assert_eq!(origin.count("/img/0042.png"), before + 1);
    assert_eq!(s.get_bytes("site", "img/local.png").await, b"written here");
    assert_eq!(
        get(&s, "/site/doc/readme.txt").await.headers()[STATUS],
        "hit"
    );

    // By key: only origin copies count.
    let (status, body) = purge(
        &s,
        "<Purge><Key>doc/readme.txt</Key><Key>img/local.png</Key><Key>nothing/here</Key></Purge>",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<Purged>1</Purged>"), "{body}");
    assert_eq!(s.get_bytes("site", "img/local.png").await, b"written here");
    assert_ne!(
        get(&s, "/site/doc/readme.txt").await.headers()[STATUS],
        "hit"
    );

    // Errors, and the owner only.
    for bad in [
        "<Purge/>",
        "<Purge><Prefix>a</Prefix><Key>b</Key></Purge>",
        "<Nope/>",
    ] {
        let (status, body) = purge(&s, bad).await;
        assert_eq!(
            (status, xml_code(&body).as_str()),
            (400, "MalformedXML"),
            "{bad}"
        );
    }
    let other = s
        .other_client()
        .list_objects_v2()
        .bucket("site")
        .send()
        .await;
    assert!(other.is_err());
    let resp = crate::support::server::signed_request(
        &s.endpoint(),
        (
            crate::support::server::OTHER_ACCESS_KEY,
            crate::support::server::OTHER_SECRET_KEY,
        ),
        http::Method::POST,
        "/site?origin-purge",
        http::HeaderMap::new(),
    )
    .body("<Purge><Prefix></Prefix></Purge>")
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), 403);
}

/// A purge never removes a copy Object Lock holds: the held copy and one filled under the
/// bucket's default retention stay (counted as not purged) and are still served as hits;
/// the unlocked one beside them goes.
#[tokio::test]
async fn a_purge_keeps_locked_copies() {
    use aws_sdk_s3::types::{
        BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
        ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetentionMode, ObjectLockRule,
    };
    let origin = StubOrigin::start().await;
    origin.ok("/held.txt", "held at the origin");
    origin.ok("/free.txt", "free at the origin");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    s.set_versioning("site", BucketVersioningStatus::Enabled)
        .await;
    s.client
        .put_object_lock_configuration()
        .bucket("site")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("Object Lock");
    assert_eq!(get(&s, "/site/held.txt").await.status(), 200);
    assert_eq!(get(&s, "/site/free.txt").await.status(), 200);
    s.client
        .put_object_legal_hold()
        .bucket("site")
        .key("held.txt")
        .legal_hold(crate::s3::object_lock::legal_hold(
            ObjectLockLegalHoldStatus::On,
        ))
        .send()
        .await
        .expect("hold the filled copy");
    // A fill is a new version: it takes the bucket's default retention.
    origin.ok("/ruled.txt", "ruled at the origin");
    s.client
        .put_object_lock_configuration()
        .bucket("site")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Governance)
                                .days(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("a default retention");
    assert_eq!(get(&s, "/site/ruled.txt").await.status(), 200);
    let ruled = s
        .client
        .head_object()
        .bucket("site")
        .key("ruled.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(ruled.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let (status, body) = purge(&s, "<Purge><Prefix></Prefix></Purge>").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Purged>1</Purged>"), "{body}");
    assert_eq!(get(&s, "/site/ruled.txt").await.headers()[STATUS], "hit");
    let held = get(&s, "/site/held.txt").await;
    assert_eq!(held.headers()[STATUS], "hit");
    assert_eq!(held.text().await.expect("body"), "held at the origin");
    assert_ne!(get(&s, "/site/free.txt").await.headers()[STATUS], "hit");
}
