//! A real browser against originstore: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/install-test-tools`) driven through chromedriver
//! loads a page served by this test from another origin, and that page uploads with a
//! presigned PUT and with a form made by boto3's `generate_presigned_post`, then reads both
//! back with `fetch()`. Without a CORS rule the browser refuses, as it would against AWS;
//! with one, every step succeeds and the exposed ETag is readable.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::process::{boto3_script, AK, SK};
use crate::support::server::{client_for, TestServer};

const BUCKET: &str = "browser";

/// What the page does: presigned PUT, form POST, then a fetch() of each; the results (or the
/// browser's error) are handed back to the test.
const SCRIPT: &str = r#"
const [putUrl, post, getPutUrl, getPostUrl, done] = arguments;
(async () => {
  const r = {};
  try {
    const put = await fetch(putUrl, { method: "PUT", body: "put by the browser",
                                      headers: { "Content-Type": "text/plain" } });
    r.putStatus = put.status;
    r.putEtag = put.headers.get("ETag");
  } catch (e) { r.putError = String(e); }
  try {
    const form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append("file", new Blob(["posted by a form"]), "note.txt");
    const res = await fetch(post.url, { method: "POST", body: form });
    r.postStatus = res.status;
  } catch (e) { r.postError = String(e); }
  for (const [name, url] of [["put", getPutUrl], ["post", getPostUrl]]) {
    try {
      const res = await fetch(url);
      r[name + "Read"] = await res.text();
    } catch (e) { r[name + "ReadError"] = String(e); }
  }
  done(r);
})();
"#;

/// chromedriver on a free port; killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (.ci/install-test-tools: Debian's chromium-driver)");
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn session(&self) -> fantoccini::Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run"]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let started = Instant::now();
        loop {
            match fantoccini::ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(client) => return client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no chromedriver session: {e}"),
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page's origin: a plain HTTP server of this test on another port.
async fn serve_page() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            axum::response::Html("<!doctype html><title>app</title><p>uploader</p>")
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn presigned(client: &aws_sdk_s3::Client, key: &str, put: bool) -> String {
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600))
        .expect("config");
    let request = if put {
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .content_type("text/plain")
            .presigned(config)
            .await
            .expect("presign PUT")
    } else {
        client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .presigned(config)
            .await
            .expect("presign GET")
    };
    request.uri().to_owned()
}

async fn run_page(
    browser: &fantoccini::Client,
    s: &TestServer,
    owner: &aws_sdk_s3::Client,
    round: &str,
) -> Value {
    let put_key = format!("{round}/put.txt");
    let post_key = format!("{round}/${{filename}}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = boto3_script(
        "presigned_post.py",
        &s.endpoint(),
        tmp.path(),
        &[BUCKET, &post_key, "s3v4"],
    );
    let post: Value = serde_json::from_slice(&out.stdout).expect("boto3's form as JSON");
    let args = vec![
        json!(presigned(owner, &put_key, true).await),
        post,
        json!(presigned(owner, &put_key, false).await),
        json!(presigned(owner, &format!("{round}/note.txt"), false).await),
    ];
    browser
        .execute_async(SCRIPT, args)
        .await
        .expect("the page's script ran")
}

#[tokio::test]
async fn a_browser_uploads_and_reads_back_only_with_a_cors_rule() {
    let s = TestServer::start_with(|c| {
        c.users.push(originstore::identity::User {
            access_key: AK.into(),
            secret_key: SK.into(),
        })
    })
    .await;
    let owner = client_for(s.addr, AK, SK);
    owner
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let page = serve_page().await;
    let driver = Driver::start();
    let browser = driver.session().await;
    browser.goto(&page).await.expect("page loads");

    // No CORS rule: the PUT's preflight is refused, so the PUT is never sent; the form POST
    // is a "simple" request that the browser sends without a preflight (as a plain HTML form
    // would), but the page may not read its answer; nor may it read anything back.
    let refused = run_page(&browser, &s, &owner, "without").await;
    assert!(refused["putError"].is_string(), "{refused}");
    assert!(refused["postError"].is_string(), "{refused}");
    assert!(refused["putReadError"].is_string(), "{refused}");
    assert!(refused["postReadError"].is_string(), "{refused}");
    let listed = owner
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["without/note.txt"], "only the form's POST was sent");

    let rule = aws_sdk_s3::types::CorsRule::builder()
        .allowed_origins(&page)
        .allowed_methods("GET")
        .allowed_methods("PUT")
        .allowed_methods("POST")
        .allowed_headers("*")
        .expose_headers("ETag")
        .build()
        .expect("rule");
    owner
        .put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            aws_sdk_s3::types::CorsConfiguration::builder()
                .cors_rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put cors");

    let result = run_page(&browser, &s, &owner, "with").await;
    assert_eq!(result["putStatus"], 200, "{result}");
    assert!(
        result["putEtag"]
            .as_str()
            .is_some_and(|e| e.starts_with('"')),
        "the exposed ETag is readable: {result}"
    );
    assert_eq!(result["postStatus"], 204, "{result}");
    assert_eq!(result["putRead"], "put by the browser", "{result}");
    assert_eq!(result["postRead"], "posted by a form", "{result}");
    let head = owner
        .head_object()
        .bucket(BUCKET)
        .key("with/put.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
    browser.close().await.expect("close");
}

/// Poll `check` (a JavaScript expression) in the page until it is true.
async fn until(browser: &fantoccini::Client, what: &str, check: &str) {
    let started = Instant::now();
    loop {
        let script = format!("return Boolean({check});");
        if browser.execute(&script, vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: never true: {check}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Save a screenshot of the page under `docs/` when asked to (`ORIGINSTORE_SCREENSHOTS=1`),
/// for the README.
async fn screenshot(browser: &fantoccini::Client, name: &str) {
    if std::env::var_os("ORIGINSTORE_SCREENSHOTS").is_none() {
        return;
    }
    let png = browser.screenshot().await.expect("screenshot");
    let path = format!("{}/docs/{name}.png", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(path, png).expect("write the screenshot");
}

/// Finds an element and clicks it.
async fn click(browser: &fantoccini::Client, element: fantoccini::Locator<'_>) {
    browser
        .find(element)
        .await
        .expect("the element")
        .click()
        .await
        .expect("click");
}

/// Fills the console's sign-in form with `secret_key` for the test user and submits it.
async fn sign_in(browser: &fantoccini::Client, secret_key: &str) {
    use fantoccini::Locator;
    for (id, value) in [
        ("access-key", crate::support::server::ACCESS_KEY),
        ("secret-key", secret_key),
    ] {
        let field = browser.find(Locator::Id(id)).await.expect("field");
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }
    click(browser, Locator::Css("#sign-in button")).await;
}

/// The console end to end in headless Chromium: a wrong secret refused, sign in, create a
/// bucket, upload a 20 MiB file by the file input and see its progress reach 100%, browse
/// into a folder, download and compare the bytes, a share link fetched without credentials,
/// delete, sign out.
#[tokio::test]
async fn the_console_in_a_real_browser() {
    use fantoccini::Locator;
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = tmp.path().join("big.bin");
    let data = crate::support::server::pattern(20 * 1024 * 1024, 42);
    std::fs::write(&big, &data).expect("write the file");
    let driver = Driver::start();
    let browser = driver.session().await;
    browser.goto(&s.url("/console")).await.expect("page loads");
    until(
        &browser,
        "the sign-in form",
        "!document.getElementById('sign-in-view').hidden",
    )
    .await;
    screenshot(&browser, "console-sign-in").await;

    sign_in(&browser, "not the secret").await;
    until(
        &browser,
        "a refusal",
        "document.getElementById('message').textContent.includes('wrong')",
    )
    .await;
    sign_in(&browser, crate::support::server::SECRET_KEY).await;
    let field = |id: &'static str| browser.find(Locator::Id(id));
    until(
        &browser,
        "the buckets",
        "!document.getElementById('buckets-view').hidden",
    )
    .await;

    field("bucket-name")
        .await
        .expect("field")
        .send_keys("console-demo")
        .await
        .expect("type");
    click(&browser, Locator::Css("#create-bucket button")).await;
    until(&browser, "the new bucket", "[...document.querySelectorAll('.open-bucket')].some(b => b.textContent === 'console-demo')").await;
    s.put("console-demo", "docs/readme.txt", "in a folder")
        .await;
    screenshot(&browser, "console-buckets").await;
    browser
        .execute("[...document.querySelectorAll('.open-bucket')].find(b => b.textContent === 'console-demo').click()", vec![])
        .await
        .expect("open the bucket");
    until(
        &browser,
        "the bucket's objects",
        "!document.getElementById('objects-view').hidden && document.querySelector('.open-folder')",
    )
    .await;
    // Its usage: the one object put above.
    until(
        &browser,
        "the bucket's usage",
        "document.getElementById('bucket-usage').textContent.startsWith('Usage: 11 B in 1 object version')",
    )
    .await;

    // Upload by the file input, with its progress bar.
    field("files")
        .await
        .expect("input")
        .send_keys(big.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
    click(&browser, Locator::Css("#upload button")).await;
    until(
        &browser,
        "the upload at 100%",
        "document.querySelector('progress[data-file=\"big.bin\"]')?.value === 100",
    )
    .await;
    until(
        &browser,
        "the uploaded file listed",
        "document.querySelector('tr[data-name=\"big.bin\"]')",
    )
    .await;
    screenshot(&browser, "console-objects").await;
    assert_eq!(
        s.get_bytes("console-demo", "big.bin").await,
        data,
        "the stored bytes"
    );

    // Download through the page's link and compare.
    let digest = browser
        .execute_async(
            "const [done] = arguments; const a = document.querySelector('tr[data-name=\"big.bin\"] a');
             fetch(a.href).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))
               .then(d => done([...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join('')));",
            vec![],
        )
        .await
        .expect("download");
    assert_eq!(digest, json!(originstore::auth::sigv4::sha256_hex(&data)));

    // A share link, fetched without credentials.
    browser
        .execute(
            "document.querySelector('button[aria-label=\"Share big.bin\"]').click()",
            vec![],
        )
        .await
        .expect("share");
    until(
        &browser,
        "the share link",
        "document.getElementById('share-url').value.startsWith('http')",
    )
    .await;
    let url = browser
        .execute("return document.getElementById('share-url').value", vec![])
        .await
        .expect("share url");
    let shared = reqwest::get(url.as_str().expect("a url"))
        .await
        .expect("sent");
    assert_eq!(shared.bytes().await.expect("body").len(), data.len());

    // Into the folder, then delete the big file.
    browser
        .execute("document.querySelector('.open-folder').click()", vec![])
        .await
        .expect("open the folder");
    until(
        &browser,
        "the folder's file",
        "document.querySelector('tr[data-name=\"docs/readme.txt\"]')",
    )
    .await;
    click(&browser, Locator::Id("back-to-buckets")).await;
    browser
        .execute("[...document.querySelectorAll('.open-bucket')].find(b => b.textContent === 'console-demo').click()", vec![])
        .await
        .expect("open the bucket");
    until(
        &browser,
        "the file again",
        "document.querySelector('button[aria-label=\"Delete big.bin\"]')",
    )
    .await;
    browser
        .execute(
            "document.querySelector('button[aria-label=\"Delete big.bin\"]').click()",
            vec![],
        )
        .await
        .expect("delete");
    browser.accept_alert().await.expect("confirm");
    until(
        &browser,
        "the file gone",
        "document.getElementById('message').textContent.includes('Deleted big.bin')",
    )
    .await;
    assert_eq!(s.get_error("console-demo", "big.bin").await, "NoSuchKey");

    click(&browser, Locator::Id("sign-out")).await;
    until(
        &browser,
        "signed out",
        "!document.getElementById('sign-in-view').hidden",
    )
    .await;
    browser.close().await.expect("close");
}

/// The console's origin and migration pages in headless Chromium: a bad host refused with
/// the server's message next to the field, a good origin saved, a miss moving the counters,
/// a backfill started from the page and watched to completion, the server page.
#[tokio::test]
async fn the_console_configures_an_origin_and_watches_a_migration() {
    use fantoccini::Locator;
    let origin = crate::support::stub_origin::StubOrigin::start().await;
    for i in 0..10 {
        origin.ok(&format!("/m/{i}"), format!("object {i}"));
    }
    let s = TestServer::start().await;
    s.create_bucket("mig").await;
    let manifest: String = (0..10).map(|i| format!("m/{i}\n")).collect();
    s.put("mig", "list.txt", manifest).await;
    let driver = Driver::start();
    let browser = driver.session().await;
    browser.goto(&s.url("/console")).await.expect("page loads");
    until(
        &browser,
        "the sign-in form",
        "!document.getElementById('sign-in-view').hidden",
    )
    .await;
    sign_in(&browser, crate::support::server::SECRET_KEY).await;
    let field = |id: &'static str| browser.find(Locator::Id(id));
    until(
        &browser,
        "the server page",
        "document.getElementById('server').textContent.includes('Version')",
    )
    .await;
    browser
        .execute("[...document.querySelectorAll('.open-bucket')].find(b => b.textContent === 'mig').click()", vec![])
        .await
        .expect("open the bucket");
    until(
        &browser,
        "the origin form",
        "!document.getElementById('objects-view').hidden",
    )
    .await;

    // A host with a path is refused by the server, its message shown by the host field.
    field("origin-host")
        .await
        .expect("field")
        .send_keys("origin.example.com/path")
        .await
        .expect("type");
    click(&browser, Locator::Css("#origin-form button[type=submit]")).await;
    until(
        &browser,
        "the host error",
        "document.getElementById('origin-host-error').textContent.includes('HostName')",
    )
    .await;
    field("origin-host")
        .await
        .expect("field")
        .clear()
        .await
        .expect("clear");
    field("origin-host")
        .await
        .expect("field")
        .send_keys(&origin.host())
        .await
        .expect("type");
    browser
        .execute(
            "document.getElementById('origin-protocol').value = 'HTTP'",
            vec![],
        )
        .await
        .expect("protocol");
    click(&browser, Locator::Css("#origin-form button[type=submit]")).await;
    until(
        &browser,
        "the origin saved",
        "document.getElementById('message').textContent.includes('Origin saved')",
    )
    .await;
    let stored = s
        .send_signed(http::Method::GET, "/mig?origin")
        .await
        .text()
        .await
        .expect("body");
    assert!(stored.contains(&origin.host()), "{stored}");

    // A miss through the console moves the counters.
    let body = browser
        .execute_async("const [done] = arguments; fetch('/console/s3/mig/m/3').then(r => r.text()).then(done);", vec![])
        .await
        .expect("a miss");
    assert_eq!(body, json!("object 3"));
    until(&browser, "the fill counted", "[...document.querySelectorAll('#migration tr')].some(r => r.children[3].textContent === '1')").await;

    // A backfill from the page, watched to completion.
    field("backfill-manifest")
        .await
        .expect("field")
        .send_keys("list.txt")
        .await
        .expect("type");
    field("backfill-prefix")
        .await
        .expect("field")
        .send_keys("m/")
        .await
        .expect("type");
    click(&browser, Locator::Css("#backfill-form button[type=submit]")).await;
    until(
        &browser,
        "the backfill completed",
        "document.getElementById('backfill-state').textContent.includes('Completed')",
    )
    .await;
    until(
        &browser,
        "its bar full",
        "document.getElementById('backfill-progress').value === 100",
    )
    .await;
    screenshot(&browser, "console-migration").await;
    let text = browser
        .execute(
            "return document.getElementById('backfill-state').textContent",
            vec![],
        )
        .await
        .expect("state");
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("9 filled, 1 already local")),
        "{text}"
    );
    // A backfill is not the cut-over: the verdict says what is missing. A plain HTTP
    // origin cannot be listed: a delta pass is refused with the server's reason.
    until(
        &browser,
        "the cut-over verdict",
        "document.getElementById('cutover-verdict').textContent === 'NotReady' \
         && document.getElementById('cutover-reasons').textContent.includes('no delta pass has run')",
    )
    .await;
    click(&browser, Locator::Id("delta-start")).await;
    until(
        &browser,
        "the refused delta pass",
        "document.getElementById('message').textContent.includes('S3-compatible')",
    )
    .await;
    browser.close().await.expect("close");
}
