//! The console as a new user drives it, in headless Chromium: every view, through its
//! addresses (deep links, Back), two users with different rights, a restart mid-session,
//! bulk work on thousands of objects, every bucket setting, administration, and a
//! migration with its failing and succeeding jobs. No page may log a JavaScript error.

use futures::StreamExt as _;
use serde_json::json;

use super::page::Page;
use crate::support::server::{pattern, TestServer, ACCESS_KEY, SECRET_KEY};

/// The first user signed in, at the buckets.
async fn signed_in(s: &TestServer, path: &str) -> Page {
    let page = Page::open(&s.endpoint(), path).await;
    page.sign_in(ACCESS_KEY, SECRET_KEY).await;
    page.until("signed in", "!document.getElementById('who').hidden")
        .await;
    page
}

/// The element a key's row is.
fn row(key: &str) -> String {
    format!("tr[data-name=\"{key}\"]")
}

/// Sign-in, buckets, a bucket's folders and objects by address (Back, deep links, the
/// breadcrumb, focus after each view change), a 20 MiB upload with its progress, download,
/// an object's page with its share link, delete, sizes at 500 and 1,920 px, sign-out.
#[tokio::test]
async fn the_console_in_a_real_browser() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = tmp.path().join("big.bin");
    let data = pattern(20 * 1024 * 1024, 42);
    std::fs::write(&big, &data).expect("write the file");
    let page = Page::open(&s.endpoint(), "/console").await;
    page.until("the sign-in form", "document.getElementById('sign-in')")
        .await;
    // The log check sees a script's error (so that its silence below means something).
    page.run("setTimeout(() => { throw new Error('provoked'); }, 0)")
        .await;
    page.until("the provoked error thrown", "true").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let provoked = page.script_errors().await;
    assert!(
        provoked.iter().any(|e| e["message"]
            .as_str()
            .unwrap_or_default()
            .contains("provoked")),
        "{provoked:?}"
    );
    page.screenshot("console-sign-in").await;
    page.sign_in(ACCESS_KEY, "not the secret").await;
    page.until(
        "a refusal",
        "document.getElementById('sign-in-message').textContent.includes('wrong')",
    )
    .await;
    page.sign_in(ACCESS_KEY, SECRET_KEY).await;
    page.until("the buckets", "document.getElementById('buckets-table')")
        .await;
    assert!(
        page.text("#nav").await.contains("Server"),
        "an administrator sees the server page"
    );
    page.assert_no_script_error("the buckets").await;

    page.fill("#bucket-name", "console-demo").await;
    page.click("#create-bucket button[type=submit]").await;
    page.until(
        "the new bucket",
        "document.querySelector('tr[data-bucket=\"console-demo\"] .open-bucket')",
    )
    .await;
    s.put("console-demo", "docs/readme.txt", "in a folder")
        .await;
    page.screenshot("console-buckets").await;
    page.follow("/console/b/console-demo/").await;
    page.until("the folder", "document.querySelector('.open-folder')")
        .await;
    page.until(
        "focus on the view's heading",
        "document.activeElement === document.getElementById('bucket-title')",
    )
    .await;
    page.until("the usage", "document.getElementById('bucket-usage').textContent.startsWith('Usage: 11 B in 1 object version')").await;

    // Upload with the file input; the bar reaches 100 %.
    page.browser
        .find(fantoccini::Locator::Id("files"))
        .await
        .expect("input")
        .send_keys(big.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
    page.click("#upload button[type=submit]").await;
    page.until(
        "the upload at 100%",
        "document.querySelector('progress[data-file=\"big.bin\"]')?.value === 100",
    )
    .await;
    page.until(
        "the file listed",
        &format!("document.querySelector('{}')", row("big.bin")),
    )
    .await;
    page.until(
        "its size readable",
        &format!(
            "document.querySelector('{}').textContent.includes('20.0 MiB')",
            row("big.bin")
        ),
    )
    .await;
    page.screenshot("console-objects").await;
    assert_eq!(
        s.get_bytes("console-demo", "big.bin").await,
        data,
        "the stored bytes"
    );
    let digest = page
        .run_async(&format!(
            "const [done] = arguments; const a = document.querySelector('{} a[download]');
             fetch(a.href).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))
               .then(d => done([...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join('')));",
            row("big.bin")
        ))
        .await;
    assert_eq!(digest, json!(originstore::auth::sigv4::sha256_hex(&data)));

    // The object's page: its details and a share link fetched without credentials.
    page.follow("/console/o/console-demo/big.bin").await;
    page.until("the details", "document.getElementById('s-details').textContent.includes('20,971,520') || document.getElementById('s-details').textContent.includes('20971520')").await;
    page.click("#make-share").await;
    page.until(
        "the share link",
        "document.getElementById('share-url').value.startsWith('http')",
    )
    .await;
    let url = page
        .run("return document.getElementById('share-url').value")
        .await;
    let shared = reqwest::get(url.as_str().expect("a url"))
        .await
        .expect("sent");
    assert_eq!(shared.bytes().await.expect("body").len(), data.len());
    // Back returns to the bucket, as it was.
    page.browser.back().await.expect("back");
    page.until(
        "back at the bucket",
        &format!(
            "location.pathname === '/console/b/console-demo/' && document.querySelector('{}')",
            row("big.bin")
        ),
    )
    .await;

    // Into the folder; the breadcrumb leads out; a deep link survives a reload.
    page.click(".open-folder").await;
    page.until(
        "the folder's file",
        &format!("document.querySelector('{}')", row("docs/readme.txt")),
    )
    .await;
    assert_eq!(page.path().await, "/console/b/console-demo/docs/");
    page.goto("/console/b/console-demo/docs/").await;
    page.until(
        "the folder after a reload",
        &format!("document.querySelector('{}')", row("docs/readme.txt")),
    )
    .await;
    page.click("nav.crumbs a[href=\"/console/b/console-demo/\"]")
        .await;
    page.until(
        "the bucket again",
        &format!(
            "document.querySelector('{} button[aria-label=\"Delete big.bin\"]')",
            row("big.bin")
        ),
    )
    .await;

    // Readable at 500 px (tables scroll inside their box, the page does not) and at 1,920.
    for width in [500, 1920] {
        page.resize(width, 1000).await;
        page.until(
            &format!("no sideways scroll at {width} px"),
            "document.documentElement.scrollWidth <= window.innerWidth",
        )
        .await;
    }
    page.resize(1280, 900).await;

    page.click_and_confirm("button[aria-label=\"Delete big.bin\"]")
        .await;
    page.until(
        "the file gone",
        "document.getElementById('objects-message').textContent.includes('Deleted big.bin')",
    )
    .await;
    assert_eq!(s.get_error("console-demo", "big.bin").await, "NoSuchKey");
    page.assert_no_script_error("a bucket's objects").await;

    page.follow("/console/server").await;
    page.until(
        "the server page",
        "document.getElementById('server').textContent.includes('Data directory')",
    )
    .await;
    page.assert_no_script_error("the server page").await;

    page.click("#sign-out").await;
    page.until("signed out", "document.getElementById('sign-in')")
        .await;
    page.browser.close().await.expect("close");
}

/// A reader granted one bucket by its policy and an administrator, side by side: the reader
/// sees the granted bucket (and only it), no write control and no administration; the
/// administrator creates a user whose secret is shown once and works. The server restarts
/// mid-session: both stay signed in at their deep links. A session that ends (the reader
/// disabled) returns to sign-in, and signing in again lands where the user was.
#[tokio::test]
async fn two_users_with_different_rights_and_a_restart() {
    let mut s = TestServer::start().await;
    let (status, made) = s
        .admin(http::Method::POST, "users", r#"{"name":"reader"}"#)
        .await;
    assert_eq!(status, 200, "{made}");
    let (reader_key, reader_secret) = (
        made["access_key"].as_str().expect("key").to_owned(),
        made["secret_key"].as_str().expect("secret").to_owned(),
    );
    s.create_bucket("shared").await;
    s.create_bucket("private-one").await;
    s.put("shared", "report.txt", "numbers").await;
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": ["reader"]}, "Action": ["s3:ListBucket", "s3:GetObject"],
        "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"]}]});
    let put = s
        .signed(http::Method::PUT, "/shared?policy")
        .body(policy.to_string())
        .send()
        .await
        .expect("sent");
    assert!(
        put.status().is_success(),
        "{}",
        put.text().await.unwrap_or_default()
    );

    let reader = Page::open(&s.endpoint(), "/console").await;
    reader.sign_in(&reader_key, &reader_secret).await;
    reader
        .until(
            "the reader's buckets",
            "document.querySelector('tr[data-bucket=\"shared\"]')",
        )
        .await;
    assert!(reader
        .text("tr[data-bucket=\"shared\"]")
        .await
        .contains("Shared with you"));
    assert!(
        reader
            .run("return !document.querySelector('tr[data-bucket=\"private-one\"]')")
            .await
            == json!(true),
        "an ungranted bucket is not listed"
    );
    assert_eq!(reader.run("return document.getElementById('nav-admin').hidden && document.getElementById('nav-server').hidden").await, json!(true));
    reader.follow("/console/b/shared/").await;
    reader
        .until(
            "the granted object",
            &format!("document.querySelector('{}')", row("report.txt")),
        )
        .await;
    assert_eq!(
        reader.run(&format!("return !document.getElementById('upload') && !document.querySelector('{} button[aria-label^=\"Delete\"]')", row("report.txt"))).await,
        json!(true),
        "a reader sees no upload and no delete"
    );
    reader.follow("/console/b/shared/?tab=settings").await;
    reader.until("the settings, read-only", "document.getElementById('setting-versioning') && !document.querySelector('#versioning-form button[type=submit]') && !document.getElementById('delete-bucket')").await;
    reader.goto("/console/server").await;
    reader
        .until(
            "the server page refused",
            "document.getElementById('server-message')?.textContent.includes('configuration')",
        )
        .await;
    reader.goto("/console/b/shared/").await;
    reader
        .until(
            "back at the bucket",
            &format!("document.querySelector('{}')", row("report.txt")),
        )
        .await;
    reader.assert_no_script_error("the reader's pages").await;

    let admin = signed_in(&s, "/console/admin").await;
    admin
        .until(
            "the users",
            "document.querySelector('tr[data-user=\"reader\"]')",
        )
        .await;
    admin.fill("#new-user", "carol").await;
    admin.click("#create-user button[type=submit]").await;
    admin
        .until(
            "the secret shown once",
            "document.getElementById('new-secret')?.value.length > 20",
        )
        .await;
    admin.screenshot("console-admin").await;
    let carol_key = admin.text("#new-access-key").await;
    let carol_secret = admin
        .run("return document.getElementById('new-secret').value")
        .await;
    // The key signs (carol has no policy yet, so she is refused as herself, not as a
    // stranger: a wrong secret would not match the signature).
    let carol = crate::support::server::client_for(
        s.addr,
        &carol_key,
        carol_secret.as_str().expect("secret"),
    );
    let refused = carol
        .list_buckets()
        .send()
        .await
        .expect_err("no policy yet");
    assert_eq!(crate::support::server::code(&refused), "AccessDenied");
    let stranger = crate::support::server::client_for(
        s.addr,
        &carol_key,
        "not-the-secret-key-at-all-000000000000",
    );
    let refused = stranger
        .list_buckets()
        .send()
        .await
        .expect_err("a wrong secret");
    assert_eq!(
        crate::support::server::code(&refused),
        "SignatureDoesNotMatch"
    );
    admin.goto("/console/admin").await;
    admin
        .until(
            "the users again",
            "document.querySelector('tr[data-user=\"carol\"]')",
        )
        .await;
    assert!(
        admin
            .run("return !document.getElementById('new-secret')")
            .await
            == json!(true),
        "the secret is shown once only"
    );
    admin.assert_no_script_error("administration").await;

    // A restart mid-session: both sessions survive, at their addresses.
    let addr = s.addr;
    s.stop().await;
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    let s = TestServer::start_in(dir, |c| c.listen = addr).await;
    reader.goto("/console/b/shared/").await;
    reader
        .until(
            "the reader still signed in",
            &format!("document.querySelector('{}')", row("report.txt")),
        )
        .await;
    admin
        .click("a[data-user], tr[data-user=\"carol\"] .open-user")
        .await;
    admin
        .until(
            "carol's keys after the restart",
            "document.getElementById('user-detail').textContent.includes(\"User carol\")",
        )
        .await;

    // The reader is disabled: the next click returns to sign-in, and signing in again (as
    // the administrator) lands at the same address.
    let (status, _) = s
        .admin(http::Method::POST, "users/reader/disable", "")
        .await;
    assert_eq!(status, 200);
    reader.click("nav.tabs a[data-tab=\"versions\"]").await;
    reader.until("back at sign-in", "document.getElementById('sign-in') && document.getElementById('toasts').textContent.includes('session has ended')").await;
    reader.sign_in(ACCESS_KEY, SECRET_KEY).await;
    reader
        .until(
            "where the reader was",
            "location.search === '?tab=versions' && document.getElementById('versions-table')",
        )
        .await;
    reader.assert_no_script_error("sign-in again").await;
}

/// Bulk work and every bucket setting: 2,500 objects deleted by selecting their folder (a
/// result per object, in batches), versioning switched on, a version restored, tags, CORS
/// and lifecycle forms (an invalid rule refused next to its field), a public policy (the
/// bucket shown public) then neutralised by Block Public Access, object ownership, a quota;
/// then the bucket emptied and deleted.
#[tokio::test]
async fn bulk_work_and_every_bucket_setting() {
    let s = TestServer::start().await;
    s.create_bucket("bulk").await;
    let client = s.client.clone();
    futures::stream::iter(0..2500)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket("bulk")
                    .key(format!("many/{i:04}"))
                    .body(b"x".to_vec().into())
                    .send()
                    .await
                    .expect("put");
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    s.put("bulk", "keep.txt", "kept").await;
    let page = signed_in(&s, "/console/b/bulk/").await;
    page.until(
        "the folder",
        &format!("document.querySelector('{} input.pick')", row("many/")),
    )
    .await;
    page.click(&format!("{} input.pick", row("many/"))).await;
    page.click_and_confirm("#delete-selected").await;
    page.until(
        "2,500 deleted",
        "document.getElementById('objects-message').textContent.includes('Deleted 2,500 objects')",
    )
    .await;
    assert_eq!(s.keys("bulk").await, ["keep.txt"]);

    // Versioning on, two versions, the older restored.
    page.follow("/console/b/bulk/?tab=settings").await;
    page.choose("#versioning-status", "Enabled").await;
    page.click("#versioning-form button[type=submit]").await;
    page.until(
        "versioning saved",
        "document.getElementById('versioning-message').textContent.includes('saved')",
    )
    .await;
    let versioning = s
        .client
        .get_bucket_versioning()
        .bucket("bulk")
        .send()
        .await
        .expect("versioning");
    assert_eq!(versioning.status().map(|v| v.as_str()), Some("Enabled"));
    s.put("bulk", "doc.txt", "first").await;
    s.put("bulk", "doc.txt", "second").await;
    page.follow("/console/b/bulk/?tab=versions").await;
    page.until(
        "two versions",
        "document.querySelectorAll('tr[data-name=\"doc.txt\"]').length === 2",
    )
    .await;
    page.click("tr[data-name=\"doc.txt\"] button[aria-label^=\"Restore\"]")
        .await;
    page.until(
        "restored",
        "document.getElementById('versions-message').textContent.includes('Restored')",
    )
    .await;
    assert_eq!(s.get_bytes("bulk", "doc.txt").await, b"first");

    // Tags, CORS, lifecycle.
    page.follow("/console/b/bulk/?tab=settings").await;
    page.click("#bucket-tags-add").await;
    page.fill("#bucket-tags .tag-key", "team").await;
    page.fill("#bucket-tags .tag-value", "data").await;
    page.click("#tagging-form button[type=submit]").await;
    page.until(
        "tags saved",
        "document.getElementById('tagging-message').textContent.includes('saved')",
    )
    .await;
    let tags = s
        .client
        .get_bucket_tagging()
        .bucket("bulk")
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tag_set()[0].key(), "team");
    page.click("#cors-rules-add").await;
    page.fill("#cors-rules .cors-origins", "https://app.example.com")
        .await;
    page.click("#cors-form button[type=submit]").await;
    page.until(
        "cors saved",
        "document.getElementById('cors-message').textContent.includes('saved')",
    )
    .await;
    let cors = s
        .client
        .get_bucket_cors()
        .bucket("bulk")
        .send()
        .await
        .expect("cors");
    assert_eq!(
        cors.cors_rules()[0].allowed_origins(),
        ["https://app.example.com"]
    );
    page.click("#lifecycle-rules-add").await;
    page.click("#lifecycle-form button[type=submit]").await;
    page.until("the empty rule refused next to its field", "document.querySelector('#lifecycle-rules .lc-days ~ .field-error').textContent.includes('at least one action')").await;
    page.fill("#lifecycle-rules .lc-noncurrent", "30").await;
    page.click("#lifecycle-form button[type=submit]").await;
    page.until(
        "lifecycle saved",
        "document.getElementById('lifecycle-message').textContent.includes('saved')",
    )
    .await;
    let rules = s
        .client
        .get_bucket_lifecycle_configuration()
        .bucket("bulk")
        .send()
        .await
        .expect("lifecycle");
    assert_eq!(
        rules.rules()[0]
            .noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(30)
    );
    page.fill("#quota-bytes", "1000000").await;
    page.click("#quota-form button[type=submit]").await;
    page.until(
        "quota saved",
        "document.getElementById('quota-message').textContent.includes('saved')",
    )
    .await;
    let (_, quota) = s.admin(http::Method::GET, "buckets/bulk/quota", "").await;
    assert_eq!(quota["quota"]["max_bytes"], 1_000_000);
    // An upload past the quota is shown failed, with the server's reason.
    let tmp = tempfile::tempdir().expect("tempdir");
    let too_big = tmp.path().join("too-big.bin");
    std::fs::write(&too_big, pattern(2_000_000, 7)).expect("write");
    page.follow("/console/b/bulk/").await;
    page.browser
        .find(fantoccini::Locator::Id("files"))
        .await
        .expect("input")
        .send_keys(too_big.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
    page.click("#upload button[type=submit]").await;
    page.until(
        "the refusal on the file's line",
        "document.querySelector('progress[data-file=\"too-big.bin\"]')?.className === 'failed' \
         && document.getElementById('uploads').textContent.includes('QuotaExceeded')",
    )
    .await;
    page.follow("/console/b/bulk/?tab=settings").await;
    page.screenshot("console-settings").await;

    // Access: a public policy shows the bucket public; RestrictPublicBuckets makes it private.
    page.follow("/console/b/bulk/?tab=access").await;
    page.click("#policy-template").await;
    page.click("#policy-form button[type=submit]").await;
    page.until(
        "policy saved",
        "document.getElementById('policy-message').textContent.includes('saved')",
    )
    .await;
    page.goto("/console/b/bulk/?tab=access").await;
    page.until(
        "shown public",
        "document.getElementById('public-status')?.textContent.includes('Public')",
    )
    .await;
    page.click("#pab-RestrictPublicBuckets").await;
    page.click("#publicAccessBlock-form button[type=submit]")
        .await;
    page.until(
        "block saved",
        "document.getElementById('publicAccessBlock-message').textContent.includes('saved')",
    )
    .await;
    page.choose("#ownership", "BucketOwnerEnforced").await;
    page.click("#ownershipControls-form button[type=submit]")
        .await;
    page.until(
        "ownership saved",
        "document.getElementById('ownershipControls-message').textContent.includes('saved')",
    )
    .await;
    page.goto("/console/b/bulk/?tab=access").await;
    page.until(
        "shown private",
        "document.getElementById('public-status')?.textContent.includes('Private')",
    )
    .await;
    page.screenshot("console-access").await;
    let ownership = s
        .client
        .get_bucket_ownership_controls()
        .bucket("bulk")
        .send()
        .await
        .expect("ownership");
    assert_eq!(
        ownership
            .ownership_controls()
            .map(|o| o.rules()[0].object_ownership().as_str()),
        Some("BucketOwnerEnforced")
    );

    // Empty (every version and marker) and delete.
    page.follow("/console/b/bulk/?tab=settings").await;
    page.click_and_confirm("#empty-bucket").await;
    page.until(
        "emptied",
        "document.getElementById('danger-message').textContent.includes('is empty')",
    )
    .await;
    page.click_and_confirm("#delete-bucket").await;
    page.until("at the buckets, without it", "location.pathname === '/console' && document.getElementById('buckets-table') && !document.querySelector('tr[data-bucket=\"bulk\"]')").await;
    page.assert_no_script_error("bulk work and settings").await;
}

/// The Origin & migration tab: a bad host refused next to its field, the cloud-metadata
/// address warned of, an S3 origin (another originstore) saved from the form and shown
/// again when the page is reloaded, a backfill watched to completion, a manifest backfill
/// whose keys fail shown failed with each reason, a delta pass and a verification, and the
/// cut-over verdict turning Ready; the Metrics tab's chart; no polling without an origin.
#[tokio::test]
async fn the_console_configures_an_origin_and_watches_a_migration() {
    let old = TestServer::start().await;
    old.create_bucket("old").await;
    for i in 0..20 {
        old.put("old", &format!("m/{i}"), format!("object {i}"))
            .await;
    }
    let s = TestServer::start().await;
    s.create_bucket("mig").await;
    s.create_bucket("plain").await;
    let page = signed_in(&s, "/console/b/plain/?tab=origin").await;
    page.until("no origin", "document.getElementById('no-origin')")
        .await;
    // Without an origin nothing is polled: the browser logs no failed request meanwhile.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let polled = page.run("return performance.getEntriesByType('resource').filter(e => e.name.includes('origin-status')).length").await;
    assert_eq!(
        polled,
        json!(0),
        "origin-status is not polled without an origin"
    );

    page.goto("/console/b/mig/?tab=origin").await;
    page.fill("#origin-host", "origin.example.com/path").await;
    page.click("#origin-form button[type=submit]").await;
    page.until(
        "the host refused next to the field",
        "document.getElementById('origin-host-error').textContent.length > 0",
    )
    .await;
    page.fill("#origin-host", "169.254.169.254").await;
    page.until(
        "the metadata warning",
        "document.getElementById('origin-host-warning').textContent.includes('metadata')",
    )
    .await;

    // An S3 origin: the other server's bucket, listed through.
    page.choose("#origin-kind", "s3").await;
    page.fill("#origin-endpoint", &old.addr.to_string()).await;
    page.fill("#origin-bucket", "old").await;
    page.fill("#origin-access-key", ACCESS_KEY).await;
    page.fill("#origin-secret-key", SECRET_KEY).await;
    page.choose("#origin-protocol", "HTTP").await;
    page.click("#origin-list-through").await;
    page.click("#origin-form button[type=submit]").await;
    page.until(
        "the origin saved",
        "document.getElementById('origin-message').textContent.includes('Origin saved')",
    )
    .await;
    page.goto("/console/b/mig/?tab=origin").await;
    page.until("the S3 origin shown again", &format!("document.getElementById('origin-endpoint').value === '{}' && document.getElementById('origin-kind').value === 's3'", old.addr)).await;

    // A manifest whose keys the origin lacks: the job ends with failures, each with its reason.
    s.put("mig", "list.txt", "m/1\nnot/there/1\nnot/there/2\n")
        .await;
    page.fill("#backfill-manifest", "list.txt").await;
    page.click("#backfill-form button[type=submit]").await;
    page.until("the failing job shown failed", "document.getElementById('backfill-progress').className === 'failed' && document.getElementById('backfill-failures').textContent.includes('not/there/1')").await;
    // A list backfill of everything.
    page.fill("#backfill-manifest", "").await;
    page.click("#backfill-form button[type=submit]").await;
    page.until("the backfill completed", "document.getElementById('backfill-progress-state').textContent.startsWith('Completed') && document.getElementById('backfill-progress').value === 100").await;
    assert!(
        page.text("#backfill-progress-state")
            .await
            .contains("19 filled"),
        "{}",
        page.text("#backfill-progress-state").await
    );
    page.until(
        "not yet ready",
        "document.getElementById('cutover-verdict').textContent.startsWith('NotReady')",
    )
    .await;
    page.click("#delta-start").await;
    page.until(
        "the delta pass clean",
        "document.getElementById('delta-progress-state').textContent.includes('(clean)')",
    )
    .await;
    page.click("#verify-start").await;
    page.until(
        "verified",
        "document.getElementById('verify-progress-state').textContent.startsWith('Completed')",
    )
    .await;
    page.until(
        "ready",
        "document.getElementById('cutover-verdict').textContent.startsWith('Ready')",
    )
    .await;
    page.screenshot_at("console-migration", "#s-migration")
        .await;
    let report = page.run_async("const [done] = arguments; fetch(document.getElementById('report-csv').href).then(r => r.text()).then(done);").await;
    assert!(
        report.as_str().is_some_and(|r| r.contains("m/7")),
        "{report}"
    );

    // Nothing of this bucket's migration follows to another bucket.
    page.goto("/console/b/plain/?tab=origin").await;
    page.until("the other bucket's own page", "document.getElementById('no-origin') && !document.getElementById('backfill-progress') && !document.getElementById('cutover-verdict')").await;
    page.goto("/console/b/mig/?tab=origin").await;
    page.until(
        "the migration again",
        "document.getElementById('cutover-verdict')?.textContent.startsWith('Ready')",
    )
    .await;
    page.follow("/console/b/mig/?tab=metrics").await;
    page.until("the chart with its legend", "document.querySelector('#usage-chart .u-legend') && document.querySelector('#usage-chart canvas')").await;
    page.until(
        "the origin chart",
        "document.querySelector('#origin-chart canvas')",
    )
    .await;
    page.assert_no_script_error("origin, migration and metrics")
        .await;
}

/// Wiring uploads to a webhook from the console: the Notifications setting names a target
/// of the server, an upload reaches the webhook, the Events tab shows events as they
/// happen, and the server page shows the target's counters.
#[tokio::test]
async fn notifications_are_wired_and_watched_from_the_console() {
    let hook = crate::notify::Receiver::start().await;
    let url = hook.url.clone();
    let s = TestServer::start_with(move |c| {
        c.notify.targets.push(crate::notify::target(&format!(
            "id = \"hooks\"\nkind = \"webhook\"\nurl = \"{url}\""
        )));
    })
    .await;
    s.create_bucket("wired").await;
    let page = signed_in(&s, "/console/b/wired/?tab=settings").await;
    page.click("#notify-rules-add").await;
    page.fill("#notify-rules .notify-prefix", "up/").await;
    page.click("#notification-form button[type=submit]").await;
    page.until(
        "notifications saved",
        "document.getElementById('notification-message').textContent.includes('saved')",
    )
    .await;
    s.put("wired", "up/a.txt", "hello").await;
    s.put("wired", "elsewhere.txt", "not sent").await;
    let got = hook.wait_for(2).await;
    assert_eq!(
        crate::notify::names_and_keys(&got),
        [("ObjectCreated:Put".to_owned(), "up/a.txt".to_owned())],
        "the test event, then the upload under up/"
    );

    page.follow("/console/b/wired/?tab=events").await;
    page.until(
        "following",
        "document.getElementById('events-state').textContent.startsWith('Following')",
    )
    .await;
    s.put("wired", "up/live.txt", "now").await;
    page.until("the live event", "document.querySelector('#events-table tr[data-key=\"up/live.txt\"]')?.textContent.includes('ObjectCreated:Put')").await;
    page.screenshot("console-events").await;

    page.follow("/console/server").await;
    page.until("the target's counters", "document.querySelector('#targets-table tr[data-target=\"hooks\"]')?.children[3].textContent === '3'").await;
    page.assert_no_script_error("notifications in the console")
        .await;
}
