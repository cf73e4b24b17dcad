//! The console's API: sign-in (a wrong secret refused; the cookie HttpOnly and
//! SameSite=Strict), the S3 API behind the session with the same access rules (user A does
//! not see user B's buckets), CSRF on every change, share links, a bucket's usage and
//! quota, sign-out, and the page; sessions across a restart; the buckets, rights, admin
//! and server endpoints the page reads.

use crate::support::server::{
    xml_code, TestServer, ACCESS_KEY, OTHER_ACCESS_KEY, OTHER_SECRET_KEY, SECRET_KEY,
};

struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

async fn sign_in(s: &TestServer, access_key: &str, secret: &str) -> Result<Console, u16> {
    let http = reqwest::Client::new();
    let resp = http
        .post(s.url("/console/api/session"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"accessKey": access_key, "secretKey": secret}).to_string())
        .send()
        .await
        .expect("sent");
    if !resp.status().is_success() {
        return Err(resp.status().as_u16());
    }
    let set_cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().expect("cookie").to_owned();
    let body: serde_json::Value =
        serde_json::from_str(&resp.text().await.expect("body")).expect("json");
    assert_eq!(body["accessKey"], access_key);
    assert!(
        !body.to_string().contains(secret),
        "the secret never comes back"
    );
    Ok(Console {
        http,
        base: s.endpoint(),
        cookie,
        csrf: body["csrf"].as_str().expect("csrf").to_owned(),
    })
}

impl Console {
    fn request(&self, method: reqwest::Method, path: &str, csrf: bool) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie);
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        req
    }

    async fn status(
        &self,
        method: reqwest::Method,
        path: &str,
        csrf: bool,
        body: &str,
    ) -> (u16, String) {
        let resp = self
            .request(method, path, csrf)
            .body(body.to_owned())
            .send()
            .await
            .expect("sent");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }
}

#[tokio::test]
async fn sessions_csrf_and_access_rules() {
    let s = TestServer::start().await;
    s.create_bucket("alice-bucket").await;
    s.other_client()
        .create_bucket()
        .bucket("bob-bucket")
        .send()
        .await
        .expect("bucket");

    assert_eq!(sign_in(&s, ACCESS_KEY, "wrong").await.err(), Some(403));
    assert_eq!(sign_in(&s, "NOBODY", SECRET_KEY).await.err(), Some(403));
    let alice = sign_in(&s, ACCESS_KEY, SECRET_KEY)
        .await
        .expect("signed in");

    // The S3 API as Alice: her buckets only.
    let (status, listing) = alice
        .status(reqwest::Method::GET, "/console/s3/", false, "")
        .await;
    assert_eq!(status, 200);
    assert!(
        listing.contains("<Name>alice-bucket</Name>") && !listing.contains("bob-bucket"),
        "{listing}"
    );
    let (status, body) = alice
        .status(reqwest::Method::GET, "/console/s3/bob-bucket", false, "")
        .await;
    assert_eq!((status, xml_code(&body).as_str()), (403, "AccessDenied"));

    // Changes need the CSRF token.
    let (status, body) = alice
        .status(
            reqwest::Method::PUT,
            "/console/s3/alice-bucket/a.txt",
            false,
            "x",
        )
        .await;
    assert_eq!((status, xml_code(&body).as_str()), (403, "AccessDenied"));
    let (status, _) = alice
        .status(
            reqwest::Method::PUT,
            "/console/s3/alice-bucket/dir/a.txt",
            true,
            "hello",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(s.get_bytes("alice-bucket", "dir/a.txt").await, b"hello");
    let (status, body) = alice
        .status(
            reqwest::Method::GET,
            "/console/s3/alice-bucket/dir/a.txt",
            false,
            "",
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "hello"));

    // A share link, fetched without any credentials.
    let resp = alice
        .request(
            reqwest::Method::GET,
            "/console/api/presign?bucket=alice-bucket&key=dir/a.txt&expires=60",
            false,
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let reply: serde_json::Value =
        serde_json::from_str(&resp.text().await.expect("body")).expect("json");
    let url = reply["url"].as_str().expect("url").to_owned();
    assert_eq!(
        reqwest::get(&url)
            .await
            .expect("sent")
            .text()
            .await
            .expect("body"),
        "hello"
    );
    let (status, _) = alice
        .status(
            reqwest::Method::GET,
            "/console/api/presign?bucket=bob-bucket&key=x",
            false,
            "",
        )
        .await;
    assert_eq!(status, 403, "no share link for what she may not read");

    // Bob's session sees Bob's bucket; no cookie sees nothing.
    let bob = sign_in(&s, OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
        .await
        .expect("signed in");
    let (_, listing) = bob
        .status(reqwest::Method::GET, "/console/s3/", false, "")
        .await;
    assert!(
        listing.contains("bob-bucket") && !listing.contains("alice-bucket"),
        "{listing}"
    );
    let anonymous = reqwest::get(s.url("/console/s3/")).await.expect("sent");
    assert_eq!(anonymous.status(), 403);

    // Signing out ends the session (with its CSRF token).
    let (status, _) = alice
        .status(reqwest::Method::DELETE, "/console/api/session", false, "")
        .await;
    assert_eq!(status, 403, "sign-out needs the token too");
    let (status, _) = alice
        .status(reqwest::Method::DELETE, "/console/api/session", true, "")
        .await;
    assert_eq!(status, 200);
    let (status, _) = alice
        .status(reqwest::Method::GET, "/console/s3/", false, "")
        .await;
    assert_eq!(status, 403);

    // The page itself, with a strict content security policy.
    let page = reqwest::get(s.url("/console")).await.expect("sent");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .contains("script-src 'self'"));
    assert!(page
        .text()
        .await
        .expect("body")
        .contains("/console/assets/js/app.js"));
    // Every console address answers the page (it routes in the browser); its files are
    // served with their types, and a file that is not there is a 404.
    for deep in [
        "/console/b/any/deep/prefix/",
        "/console/o/any/key.txt",
        "/console/admin",
    ] {
        let resp = reqwest::get(s.url(deep)).await.expect("sent");
        assert_eq!(resp.status(), 200, "{deep}");
        assert!(
            resp.text().await.expect("body").contains("app.js"),
            "{deep}"
        );
    }
    let js = reqwest::get(s.url("/console/assets/js/app.js"))
        .await
        .expect("sent");
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let missing = reqwest::get(s.url("/console/assets/js/nothing.js"))
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
}

/// Sessions are kept in the metadata store: a restart signs no one out, a signed-out
/// session stays out after one, and the store holds no session id (only its hash).
#[tokio::test]
async fn sessions_survive_a_restart() {
    let mut s = TestServer::start().await;
    let kept = sign_in(&s, ACCESS_KEY, SECRET_KEY).await.expect("sign in");
    let ended = sign_in(&s, ACCESS_KEY, SECRET_KEY).await.expect("sign in");
    let (status, _) = ended
        .status(reqwest::Method::DELETE, "/console/api/session", true, "")
        .await;
    assert_eq!(status, 200);
    let addr = s.addr;
    s.stop().await;
    let id = kept.cookie.split_once('=').expect("cookie").1.to_owned();
    let stored = crate::support::server::files_under(s.dir.path())
        .into_iter()
        .any(|f| std::fs::read(&f).is_ok_and(|b| b.windows(id.len()).any(|w| w == id.as_bytes())));
    assert!(!stored, "the session id itself is not stored");
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    let s = TestServer::start_in(dir, |c| c.listen = addr).await;
    let (status, body) = kept
        .status(reqwest::Method::GET, "/console/api/session", false, "")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = kept
        .status(reqwest::Method::PUT, "/console/s3/after-restart", true, "")
        .await;
    assert_eq!(status, 200, "the CSRF token survives too");
    let (status, _) = ended
        .status(reqwest::Method::GET, "/console/api/session", false, "")
        .await;
    assert_eq!(status, 403, "a signed-out session stays out");
    drop(s);
}

/// What the page shows beyond S3: the buckets a user may list (granted ones too, with
/// whether each is public), the rights the access decision gives on a bucket, the admin
/// API for administrators only, the server page for administrators only.
#[tokio::test]
async fn buckets_rights_and_administration_follow_the_access_decision() {
    let s = TestServer::start().await;
    s.create_bucket("granted").await;
    s.create_bucket("hidden").await;
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [OTHER_ACCESS_KEY]}, "Action": ["s3:ListBucket"],
         "Resource": ["arn:aws:s3:::granted"]},
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::granted/*"]}]});
    let put = s
        .signed(http::Method::PUT, "/granted?policy")
        .body(policy.to_string())
        .send()
        .await
        .expect("sent");
    assert!(put.status().is_success());
    let (_, made) = s
        .admin(http::Method::POST, "users", r#"{"name":"dana"}"#)
        .await;
    let dana = sign_in(
        &s,
        made["access_key"].as_str().expect("key"),
        made["secret_key"].as_str().expect("secret"),
    )
    .await
    .expect("sign in");
    let other = sign_in(&s, OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
        .await
        .expect("sign in");

    let (status, body) = other
        .status(reqwest::Method::GET, "/console/api/buckets", false, "")
        .await;
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).expect("json");
    let names: Vec<_> = listed["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap_or_default(),
                b["mine"].clone(),
                b["public"].clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("granted", serde_json::json!(false), serde_json::json!(true))],
        "only the granted bucket, not its own, shown public"
    );

    let (status, body) = other
        .status(
            reqwest::Method::GET,
            "/console/api/rights?bucket=granted",
            false,
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let rights: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(rights["list"], true);
    assert_eq!(rights["putObject"], false);
    assert_eq!(rights["putPolicy"], false);
    let owner = sign_in(&s, ACCESS_KEY, SECRET_KEY).await.expect("sign in");
    let (_, body) = owner
        .status(
            reqwest::Method::GET,
            "/console/api/rights?bucket=granted",
            false,
            "",
        )
        .await;
    let rights: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(
        rights.as_object().expect("map").values().all(|v| v == true),
        "the owner may do everything: {rights}"
    );

    // Administration: through the console for a configuration user (with the CSRF token),
    // refused to a runtime user.
    let (status, _) = owner
        .status(
            reqwest::Method::POST,
            "/console/api/admin/v1/users",
            false,
            r#"{"name":"eve"}"#,
        )
        .await;
    assert_eq!(status, 403, "a change needs the CSRF token");
    let (status, body) = owner
        .status(
            reqwest::Method::POST,
            "/console/api/admin/v1/users",
            true,
            r#"{"name":"eve"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("secret_key"), "the new secret is shown once");
    let (status, _) = dana
        .status(
            reqwest::Method::GET,
            "/console/api/admin/v1/users",
            false,
            "",
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = dana
        .status(reqwest::Method::GET, "/console/api/server", false, "")
        .await;
    assert_eq!(
        status, 403,
        "the server page (the data directory) is for administrators"
    );
    let (status, body) = owner
        .status(reqwest::Method::GET, "/console/api/server", false, "")
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = dana
        .status(reqwest::Method::GET, "/console/api/session", false, "")
        .await;
    let who: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (who["user"].as_str(), who["admin"].as_bool()),
        (Some("dana"), Some(false))
    );
}

#[tokio::test]
async fn the_console_can_be_turned_off() {
    let s = TestServer::start_with(|c| c.console = false).await;
    let resp = reqwest::get(s.url("/console")).await.expect("sent");
    assert_ne!(resp.status(), 200);
}

/// The console shows a bucket's usage and quota to whoever may list the bucket, and no one
/// else.
#[tokio::test]
async fn a_buckets_usage_and_quota_are_shown_to_who_may_list_it() {
    let s = TestServer::start().await;
    s.create_bucket("metered").await;
    s.put("metered", "a", vec![1u8; 300]).await;
    let (status, _) = s
        .admin(
            http::Method::PUT,
            "buckets/metered/quota",
            r#"{"max_bytes": 1000}"#,
        )
        .await;
    assert_eq!(status, 200);
    let owner = sign_in(&s, ACCESS_KEY, SECRET_KEY).await.expect("sign in");
    let (status, body) = owner
        .status(
            reqwest::Method::GET,
            "/console/api/usage?bucket=metered",
            false,
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let shown: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(shown["bytes"], 300);
    assert_eq!(shown["objects"], 1);
    assert_eq!(shown["quota"]["maxBytes"], 1000);
    assert!(shown["quota"]["maxObjects"].is_null());
    let other = sign_in(&s, OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
        .await
        .expect("sign in");
    let (status, _) = other
        .status(
            reqwest::Method::GET,
            "/console/api/usage?bucket=metered",
            false,
            "",
        )
        .await;
    assert_eq!(status, 403);
}
