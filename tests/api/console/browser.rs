//! A real browser against originstore: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/install-test-tools`) driven through chromedriver
//! loads a page served by this test from another origin, and that page uploads with a
//! presigned PUT and with a form made by boto3's `generate_presigned_post`, then reads both
//! back with `fetch()`. Without a CORS rule the browser refuses, as it would against AWS;
//! with one, every step succeeds and the exposed ETag is readable. The console's own pages
//! are driven by `pages.rs` with the same [`Driver`].

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
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new("chromedriver");
        // Its own process group: the browsers it starts die with it (see Drop), even when
        // a test fails before closing its session.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
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

    pub async fn session(&self) -> fantoccini::Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run", "--window-size=1280,900"]
            }),
        );
        // The browser's console log, read back by the console tests (no JavaScript error).
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
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
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
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
