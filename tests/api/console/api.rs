//! The console's API: sign-in (a wrong secret refused; the cookie HttpOnly and
//! SameSite=Strict), the S3 API behind the session with the same access rules (user A does
//! not see user B's buckets), CSRF on every change, share links, a bucket's usage and
//! quota, sign-out, and the page.

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
        .contains("<label for=\"secret-key\">"));
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
