//! PostObject (browser form uploads): forms made by boto3's `generate_presigned_post`
//! (SigV4 and SigV2) and of the shape the AWS JS SDK's `createPresignedPost` makes, posted
//! unchanged; every policy violation answered with AWS's error and nothing written; the
//! answers `success_action_status` and `success_action_redirect` ask for; and a 1 GiB file
//! streamed through a real server process in bounded memory.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::process::{boto3_script, ServeProcess, AK, SK};
use crate::support::server::{client_for, pattern, xml_code, TestServer};

const BUCKET: &str = "forms";
const BOUNDARY: &str = "----originstoreFormBoundary7MA4YWxkTrZu0gW";

/// A server with the boto3 user (AK) owning BUCKET.
async fn server() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.users.push(originstore::identity::User {
            access_key: AK.into(),
            secret_key: SK.into(),
        })
    })
    .await;
    client_for(s.addr, AK, SK)
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    s
}

/// A multipart/form-data body: `fields` in order, then the file (unless `None`), then
/// `after` (fields after the file).
pub(crate) fn form_body(
    fields: &[(String, String)],
    file: Option<(&str, &[u8])>,
    after: &[(&str, &str)],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    for (name, value) in fields {
        field(name, value);
    }
    if let Some((filename, data)) = file {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    for (name, value) in after {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn post_form(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("sent")
}

/// boto3's generate_presigned_post for `key`: the URL and the fields, in boto3's order.
fn boto3_form(
    endpoint: &str,
    key: &str,
    version: &str,
    conditions: Option<Value>,
    fields: Option<Value>,
) -> (String, Vec<(String, String)>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut args = vec![BUCKET.to_owned(), key.to_owned(), version.to_owned()];
    if let Some(c) = conditions {
        args.push(c.to_string());
        args.push(fields.unwrap_or(json!({})).to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = boto3_script("presigned_post.py", endpoint, tmp.path(), &args);
    let post: Value = serde_json::from_slice(&out.stdout).expect("JSON from the script");
    let url = post["url"].as_str().expect("url").to_owned();
    let fields = post["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
        .collect();
    (url, fields)
}

/// A SigV4 form made here, as the AWS JS SDK's createPresignedPost makes it: the bucket as
/// a field, capitalised `X-Amz-*` and `Policy` names; `extra` fields are added to the form
/// and, when `in_policy`, to the policy's exact-match conditions.
fn js_sdk_form(
    keys: (&str, &str),
    key: &str,
    conditions: Vec<Value>,
    extra: &[(&str, &str)],
    expiration: &str,
) -> Vec<(String, String)> {
    let now = time::OffsetDateTime::now_utc();
    let date = format!("{:04}{:02}{:02}", now.year(), now.month() as u8, now.day());
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let credential = format!("{}/{date}/us-east-1/s3/aws4_request", keys.0);
    let mut all = vec![
        json!({"bucket": BUCKET}),
        json!({"X-Amz-Algorithm": "AWS4-HMAC-SHA256"}),
        json!({"X-Amz-Credential": credential}),
        json!({"X-Amz-Date": amz_date}),
        json!({"key": key}),
    ];
    all.extend(conditions);
    let policy = json!({"expiration": expiration, "conditions": all}).to_string();
    let policy = base64::engine::general_purpose::STANDARD.encode(policy);
    let signing_key = originstore::auth::sigv4::signing_key(keys.1, &date, "us-east-1", "s3");
    let signature = hex::encode(originstore::auth::sigv4::hmac_sha256(
        &signing_key,
        policy.as_bytes(),
    ));
    let mut fields: Vec<(String, String)> = [
        ("bucket", BUCKET.to_owned()),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
        ("X-Amz-Credential", credential),
        ("X-Amz-Date", amz_date),
        ("key", key.to_owned()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect();
    fields.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    fields.push(("Policy".into(), policy));
    fields.push(("X-Amz-Signature".into(), signature));
    fields
}

const LATER: &str = "2100-01-01T00:00:00.000Z";

#[tokio::test]
async fn boto3_presigned_posts_upload_unchanged() {
    let s = server().await;
    let owner = client_for(s.addr, AK, SK);
    for version in ["s3v4", "s3"] {
        let key = format!("from-boto3-{version}/${{filename}}");
        let (url, fields) = boto3_form(&s.endpoint(), &key, version, None, None);
        assert!(url.ends_with("/forms"), "{url}");
        let data = pattern(100_000, 3);
        let resp = post_form(&url, form_body(&fields, Some(("cat.jpg", &data)), &[])).await;
        assert_eq!(
            resp.status(),
            204,
            "{version}: {}",
            resp.text().await.unwrap_or_default()
        );
        assert!(resp.headers().get("etag").is_some());
        let stored = owner
            .get_object()
            .bucket(BUCKET)
            .key(format!("from-boto3-{version}/cat.jpg"))
            .send()
            .await
            .expect("the upload is there, ${filename} replaced");
        let body = stored.body.collect().await.expect("body").into_bytes();
        assert_eq!(body.as_ref(), data.as_slice(), "{version}");
    }

    // Conditions and fields of the caller's own: status 201 with its XML, a content type,
    // metadata, a length range.
    let conditions = json!([
        {"success_action_status": "201"},
        ["starts-with", "$Content-Type", "image/"],
        {"x-amz-meta-owner": "alice"},
        ["content-length-range", 1, 1000]
    ]);
    let fields = json!({"success_action_status": "201", "Content-Type": "image/png", "x-amz-meta-owner": "alice"});
    let (url, form) = boto3_form(
        &s.endpoint(),
        "pic.png",
        "s3v4",
        Some(conditions.clone()),
        Some(fields.clone()),
    );
    let resp = post_form(&url, form_body(&form, Some(("x.png", b"png bytes")), &[])).await;
    assert_eq!(resp.status(), 201);
    let text = resp.text().await.expect("body");
    assert!(text.contains("<PostResponse><Location>http://"), "{text}");
    assert!(
        text.contains("<Bucket>forms</Bucket><Key>pic.png</Key><ETag>\""),
        "{text}"
    );
    let head = owner
        .head_object()
        .bucket(BUCKET)
        .key("pic.png")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("image/png"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("owner"))
            .map(String::as_str),
        Some("alice")
    );

    // The same form with a file over the range: EntityTooLarge, nothing replaced.
    let (url, form) = boto3_form(
        &s.endpoint(),
        "pic.png",
        "s3v4",
        Some(conditions),
        Some(fields),
    );
    let resp = post_form(&url, form_body(&form, Some(("x.png", &[7; 1001])), &[])).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "EntityTooLarge"
    );
    assert_eq!(s_get(&owner, "pic.png").await, b"png bytes");
}

/// The AWS SDK for JavaScript v3's createPresignedPost (tests/clients/js), posted unchanged.
#[tokio::test]
async fn js_sdk_presigned_posts_upload_unchanged() {
    let s = server().await;
    let script = format!(
        "{}/tests/clients/js/presigned_post.mjs",
        env!("CARGO_MANIFEST_DIR")
    );
    let conditions = json!([
        ["content-length-range", 1, 1000],
        ["starts-with", "$Content-Type", "text/"]
    ]);
    let fields = json!({"Content-Type": "text/plain"});
    let mut cmd = std::process::Command::new("node");
    cmd.arg(script)
        .arg(s.endpoint())
        .arg(BUCKET)
        .arg("from-js/${filename}")
        .arg(conditions.to_string())
        .arg(fields.to_string());
    crate::support::process::aws_env(&mut cmd);
    let out = crate::support::process::succeeded(
        "presigned_post.mjs",
        cmd.output()
            .expect("node with the AWS SDK is installed (.ci/install-test-tools)"),
    );
    let post: Value = serde_json::from_slice(&out.stdout).expect("JSON from the script");
    let fields: Vec<(String, String)> = post["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
        .collect();
    assert!(
        fields.iter().any(|(k, _)| k == "X-Amz-Signature"),
        "{fields:?}"
    );
    let url = post["url"].as_str().expect("url");
    let resp = post_form(
        url,
        form_body(&fields, Some(("hello.txt", b"from javascript")), &[]),
    )
    .await;
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let owner = owner_client(&s);
    let head = owner
        .head_object()
        .bucket(BUCKET)
        .key("from-js/hello.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(s_get(&owner, "from-js/hello.txt").await, b"from javascript");
}

#[tokio::test]
async fn js_sdk_shaped_forms_upload_and_answer_as_asked() {
    let s = server().await;
    let url = s.url("/forms");
    let fields = js_sdk_form((AK, SK), "js/a.txt", vec![], &[], LATER);
    let resp = post_form(&url, form_body(&fields, Some(("a.txt", b"hello")), &[])).await;
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let owner = client_for(s.addr, AK, SK);
    assert_eq!(s_get(&owner, "js/a.txt").await, b"hello");

    // The form's `acl` field is the object's canned ACL.
    let fields = js_sdk_form(
        (AK, SK),
        "js/public.txt",
        vec![json!({"acl": "public-read"})],
        &[("acl", "public-read")],
        LATER,
    );
    let resp = post_form(&url, form_body(&fields, Some(("p.txt", b"for all")), &[])).await;
    assert_eq!(resp.status(), 204);
    let anonymous = reqwest::get(s.url("/forms/js/public.txt"))
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.text().await.expect("body"), "for all");

    // A form without a policy is anonymous: allowed only into a bucket anyone may write.
    owner_client(&s)
        .create_bucket()
        .bucket("open-drop")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .expect("public-read-write bucket");
    let anonymous_form = [("key".to_owned(), "dropped".to_owned())];
    let resp = post_form(
        &s.url("/open-drop"),
        form_body(&anonymous_form, Some(("d", b"d")), &[]),
    )
    .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        s_get_in(&owner_client(&s), "open-drop", "dropped").await,
        b"d"
    );

    // success_action_redirect: 303 to the page, with bucket, key and ETag.
    let fields = js_sdk_form(
        (AK, SK),
        "js/b.txt",
        vec![json!({"success_action_redirect": "https://app.example.com/done?x=1"})],
        &[(
            "success_action_redirect",
            "https://app.example.com/done?x=1",
        )],
        LATER,
    );
    let resp = post_form(&url, form_body(&fields, Some(("b.txt", b"b")), &[])).await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        location
            .starts_with("https://app.example.com/done?x=1&bucket=forms&key=js%2Fb.txt&etag=%22"),
        "{location}"
    );

    // success_action_status 200: empty 200. Fields after the file are ignored.
    let fields = js_sdk_form(
        (AK, SK),
        "js/c.txt",
        vec![json!({"success_action_status": "200"})],
        &[("success_action_status", "200")],
        LATER,
    );
    let resp = post_form(
        &url,
        form_body(
            &fields,
            Some(("c.txt", b"c")),
            &[("x-amz-meta-late", "ignored")],
        ),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("js/c.txt")
        .send()
        .await;
    // The bucket is the boto3 user's; the first test user may not read it.
    assert!(head.is_err());
    let head = owner
        .head_object()
        .bucket(BUCKET)
        .key("js/c.txt")
        .send()
        .await
        .expect("head");
    assert!(
        head.metadata().is_none_or(|m| m.is_empty()),
        "{:?}",
        head.metadata()
    );
}

#[tokio::test]
async fn policy_violations_are_refused_with_aws_errors_and_write_nothing() {
    let s = server().await;
    let url = s.url("/forms");
    let owner = client_for(s.addr, AK, SK);
    owner
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(b"before".to_vec().into())
        .send()
        .await
        .expect("put");
    for (what, body, status, code) in policy_violations() {
        let resp = post_form(&url, body).await;
        assert_eq!(resp.status(), status, "{what}");
        assert_eq!(xml_code(&resp.text().await.expect("body")), code, "{what}");
        assert_eq!(
            s_get(&owner, "k").await,
            b"before",
            "{what}: nothing written"
        );
    }
    a_right_checksum_field_is_stored(&url, &owner).await;
    a_filename_key_is_checked_after_substitution(&url, &owner).await;
    malformed_forms_are_refused(&url, &owner).await;
}

/// The file every violation form carries.
const FORM_FILE: Option<(&str, &[u8])> = Some(("f", b"after".as_slice()));

/// A form of the AWS JS SDK's shape for key `k`, signed by the first user.
fn form(conditions: Vec<Value>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    js_sdk_form((AK, SK), "k", conditions, extra, LATER)
}

/// `fields` with field `name` set to `value`.
fn replace(mut fields: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    for f in fields.iter_mut().filter(|(n, _)| n == name) {
        f.1 = value.to_owned();
    }
    fields
}

/// `fields` without field `name`.
fn remove(fields: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    fields.into_iter().filter(|(n, _)| n != name).collect()
}

/// Forms that break their policy (or their own fields) one way each: what is wrong, the
/// form, and AWS's status and error code.
fn policy_violations() -> Vec<(&'static str, Vec<u8>, u16, &'static str)> {
    let file = FORM_FILE;
    vec![
        (
            "expired",
            form_body(
                &js_sdk_form((AK, SK), "k", vec![], &[], "2020-01-01T00:00:00Z"),
                file,
                &[],
            ),
            403,
            "AccessDenied",
        ),
        (
            "another key than the policy's",
            form_body(&replace(form(vec![], &[]), "key", "other"), file, &[]),
            403,
            "AccessDenied",
        ),
        (
            "a field the policy does not name",
            form_body(&form(vec![], &[("x-amz-meta-extra", "1")]), file, &[]),
            403,
            "AccessDenied",
        ),
        (
            "a starts-with not met",
            form_body(
                &form(
                    vec![json!(["starts-with", "$Content-Type", "image/"])],
                    &[("Content-Type", "text/html")],
                ),
                file,
                &[],
            ),
            403,
            "AccessDenied",
        ),
        (
            "an eq not met",
            form_body(
                &form(
                    vec![json!(["eq", "$acl", "public-read"])],
                    &[("acl", "private")],
                ),
                file,
                &[],
            ),
            403,
            "AccessDenied",
        ),
        (
            "too large",
            form_body(
                &form(vec![json!(["content-length-range", 0, 3])], &[]),
                file,
                &[],
            ),
            400,
            "EntityTooLarge",
        ),
        (
            "too small",
            form_body(
                &form(vec![json!(["content-length-range", 10, 20])], &[]),
                file,
                &[],
            ),
            400,
            "EntityTooSmall",
        ),
        (
            "a wrong signature",
            form_body(
                &replace(form(vec![], &[]), "X-Amz-Signature", &"0".repeat(64)),
                file,
                &[],
            ),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "an unknown access key",
            form_body(
                &js_sdk_form(("NOSUCHKEY", SK), "k", vec![], &[], LATER),
                file,
                &[],
            ),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "no key field",
            form_body(&remove(form(vec![], &[]), "key"), file, &[]),
            400,
            "InvalidArgument",
        ),
        (
            "no file",
            form_body(&form(vec![], &[]), None, &[]),
            400,
            "InvalidArgument",
        ),
        (
            "a policy that is not JSON",
            form_body(
                &resign(replace(form(vec![], &[]), "Policy", "bm90IGpzb24=")),
                file,
                &[],
            ),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "an expiration that is not ISO 8601 (Python's str(datetime))",
            form_body(
                &js_sdk_form(
                    (AK, SK),
                    "k",
                    vec![],
                    &[],
                    "2100-01-01 00:00:00.000000+00:00",
                ),
                file,
                &[],
            ),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "an expiration that is an HTTP date",
            form_body(
                &js_sdk_form((AK, SK), "k", vec![], &[], "Fri, 01 Jan 2100 00:00:00 GMT"),
                file,
                &[],
            ),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "a policy without conditions",
            form_body(
                &resign(replace(
                    form(vec![], &[]),
                    "Policy",
                    &base64::engine::general_purpose::STANDARD
                        .encode(json!({ "expiration": LATER }).to_string()),
                )),
                file,
                &[],
            ),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "a key that does not start as the policy says after ${filename}",
            form_body(
                &js_sdk_form(
                    (AK, SK),
                    "${filename}",
                    vec![json!(["starts-with", "$key", "photo"])],
                    &[],
                    LATER,
                ),
                Some(("other.txt", b"after".as_slice())),
                &[],
            ),
            403,
            "AccessDenied",
        ),
        (
            "a checksum algorithm that is not one",
            form_body(
                &form(vec![], &[("x-amz-checksum-algorithm", "MD4")]),
                file,
                &[],
            ),
            400,
            "InvalidRequest",
        ),
        (
            "no signature",
            form_body(&remove(form(vec![], &[]), "X-Amz-Signature"), file, &[]),
            400,
            "InvalidArgument",
        ),
        (
            "another user's bucket",
            form_body(
                &js_sdk_form(
                    (
                        crate::support::server::OTHER_ACCESS_KEY,
                        crate::support::server::OTHER_SECRET_KEY,
                    ),
                    "k",
                    vec![],
                    &[],
                    LATER,
                ),
                file,
                &[],
            ),
            403,
            "AccessDenied",
        ),
        (
            "anonymous, private bucket",
            form_body(&[("key".into(), "k".into())], file, &[]),
            403,
            "AccessDenied",
        ),
        (
            "a bucket condition of another bucket",
            form_body(&form(vec![json!({"bucket": "elsewhere"})], &[]), file, &[]),
            403,
            "AccessDenied",
        ),
        (
            "a checksum field the file does not match",
            form_body(
                &form(
                    vec![json!({"x-amz-checksum-crc32": "AAAAAA=="})],
                    &[("x-amz-checksum-crc32", "AAAAAA==")],
                ),
                file,
                &[],
            ),
            400,
            "BadDigest",
        ),
    ]
}

/// The same checksum field, right: stored, and answered by a checksum-mode read.
async fn a_right_checksum_field_is_stored(url: &str, owner: &aws_sdk_s3::Client) {
    let file = FORM_FILE;
    let crc = crate::support::wire::crc32_b64(b"after");
    // The value and its algorithm field, as AWS's form fields; the policy names neither
    // (integrity fields can only narrow what is accepted).
    let fields = form(
        vec![],
        &[
            ("x-amz-checksum-algorithm", "CRC32"),
            ("x-amz-checksum-crc32", &crc),
        ],
    );
    assert_eq!(
        post_form(url, form_body(&fields, file, &[])).await.status(),
        204
    );
    let got = owner
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
    owner
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(b"before".to_vec().into())
        .send()
        .await
        .expect("put back");
}

/// `key` = `${filename}` with `["starts-with", "$key", "photo"]`: a file named
/// `photo.txt` is stored under that name (the condition sees the substituted key).
async fn a_filename_key_is_checked_after_substitution(url: &str, owner: &aws_sdk_s3::Client) {
    let fields = js_sdk_form(
        (AK, SK),
        "${filename}",
        vec![json!(["starts-with", "$key", "photo"])],
        &[],
        LATER,
    );
    let resp = post_form(
        url,
        form_body(&fields, Some(("photo.txt", b"pic".as_slice())), &[]),
    )
    .await;
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    assert_eq!(s_get(owner, "photo.txt").await, b"pic");
}

/// A body that is not a form is 412; a form cut short is 400 and writes nothing.
async fn malformed_forms_are_refused(url: &str, owner: &aws_sdk_s3::Client) {
    let file = FORM_FILE;
    let not_a_form = reqwest::Client::new()
        .post(url)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_a_form.status(), 412);
    let cut = post_form(
        url,
        form_body(&form(vec![], &[]), file, &[])[..300].to_vec(),
    )
    .await;
    assert_eq!(cut.status(), 400, "a cut form");
    assert_eq!(s_get(owner, "k").await, b"before");
}

/// Sign a form's `Policy` field again (after a test changed it) with the first user's key.
fn resign(mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .expect("field")
    };
    let policy = value("Policy");
    let date = value("X-Amz-Date")[..8].to_owned();
    let key = originstore::auth::sigv4::signing_key(SK, &date, "us-east-1", "s3");
    let signature = hex::encode(originstore::auth::sigv4::hmac_sha256(
        &key,
        policy.as_bytes(),
    ));
    for f in fields.iter_mut().filter(|(n, _)| n == "X-Amz-Signature") {
        f.1 = signature.clone();
    }
    fields
}

async fn s_get(client: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    s_get_in(client, BUCKET, key).await
}

async fn s_get_in(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get");
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// Object Lock fields on a form upload: the legal hold and a retention are set on the new
/// version, and a form that asks for a lock without a checksum is refused as AWS refuses it.
#[tokio::test]
async fn form_uploads_take_object_lock_fields() {
    let s = server().await;
    let url = s.url("/forms");
    let owner = owner_client(&s);
    owner
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    owner
        .put_object_lock_configuration()
        .bucket(BUCKET)
        .object_lock_configuration(
            aws_sdk_s3::types::ObjectLockConfiguration::builder()
                .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("Object Lock");
    let until = "2999-01-01T00:00:00.000Z";
    let lock_fields = [
        ("x-amz-object-lock-legal-hold", "ON"),
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", until),
    ];
    let conditions: Vec<Value> = lock_fields
        .iter()
        .map(|(name, value)| json!({ *name: *value }))
        .collect();
    let unchecked = form(conditions.clone(), &lock_fields);
    let resp = post_form(&url, form_body(&unchecked, FORM_FILE, &[])).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "InvalidRequest"
    );
    let crc = crate::support::wire::crc32_b64(b"after");
    let mut extra = lock_fields.to_vec();
    extra.push(("x-amz-checksum-crc32", &crc));
    let fields = form(conditions, &extra);
    let resp = post_form(&url, form_body(&fields, FORM_FILE, &[])).await;
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let head = owner
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&aws_sdk_s3::types::ObjectLockLegalHoldStatus::On)
    );
    assert_eq!(
        head.object_lock_mode(),
        Some(&aws_sdk_s3::types::ObjectLockMode::Governance)
    );
}

fn owner_client(s: &TestServer) -> aws_sdk_s3::Client {
    client_for(s.addr, AK, SK)
}

/// A 1 GiB file through a form, streamed into the server with its peak RSS watched: the
/// file part is never held whole.
#[tokio::test]
async fn a_1_gib_form_upload_streams_in_bounded_memory() {
    const MIB: usize = 1024 * 1024;
    let total = 1024 * MIB;
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let addr: std::net::SocketAddr = server
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let client = client_for(addr, AK, SK);
    client
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let before = server.peak_rss_kib();

    let fields = js_sdk_form(
        (AK, SK),
        "big",
        vec![json!(["content-length-range", 0, total])],
        &[],
        LATER,
    );
    let mut head = form_body(&fields, None, &[]);
    head.truncate(head.len() - format!("--{BOUNDARY}--\r\n").len());
    head.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n").as_bytes(),
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let length = head.len() + total + tail.len();
    let mut md5 = <md5::Md5 as md5::Digest>::new();
    let chunk = pattern(MIB, 21);
    let stream = async_stream_of(head, chunk.clone(), total / MIB, tail.into_bytes());
    for _ in 0..total / MIB {
        md5::Digest::update(&mut md5, &chunk);
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/{BUCKET}", server.endpoint))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("content-length", length)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let etag = resp.headers()["etag"].to_str().expect("ascii").to_owned();
    assert_eq!(
        etag,
        format!("\"{}\"", hex::encode(md5::Digest::finalize(md5)))
    );

    let after = server.peak_rss_kib();
    let growth_mib = after.saturating_sub(before) / 1024;
    assert!(
        growth_mib <= 64,
        "server peak RSS grew by {growth_mib} MiB ({before} KiB -> {after} KiB) for a 1 GiB form upload"
    );
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("big")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(total as i64));
}

/// `head`, then `count` copies of `chunk`, then `tail`, as a body stream.
fn async_stream_of(
    head: Vec<u8>,
    chunk: Vec<u8>,
    count: usize,
    tail: Vec<u8>,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    let chunk = bytes::Bytes::from(chunk);
    let parts = std::iter::once(bytes::Bytes::from(head))
        .chain(std::iter::repeat_n(chunk, count))
        .chain(std::iter::once(bytes::Bytes::from(tail)));
    futures::stream::iter(parts.map(Ok))
}

/// In cluster mode a form upload is the cluster's before it is answered (the verified file
/// sent on with its length), its tags with it; a form asking for an object ACL is refused
/// (no node could keep it as the cluster keeps it).
#[tokio::test]
async fn in_cluster_mode_a_form_upload_reaches_the_cluster_first() {
    use crate::support::server::{ACCESS_KEY, SECRET_KEY};
    let cluster = TestServer::start().await;
    let endpoint = cluster.endpoint();
    let node = TestServer::start_with(|c| {
        c.users.push(originstore::identity::User {
            access_key: AK.into(),
            secret_key: SK.into(),
        });
        c.backend = Some(crate::cluster::backend(
            &endpoint,
            "us-east-1",
            (ACCESS_KEY, SECRET_KEY),
            "edge-a",
        ));
    })
    .await;
    client_for(node.addr, AK, SK)
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let data = pattern(200_000, 9);
    let tagging =
        "<Tagging><TagSet><Tag><Key>from</Key><Value>form</Value></Tag></TagSet></Tagging>";
    let fields = js_sdk_form(
        (AK, SK),
        "uploads/a.bin",
        vec![json!({"tagging": tagging})],
        &[("tagging", tagging)],
        LATER,
    );
    let resp = post_form(
        &node.url("/forms"),
        form_body(&fields, Some(("a.bin", &data)), &[]),
    )
    .await;
    assert_eq!(
        resp.status(),
        204,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    assert_eq!(cluster.get_bytes(BUCKET, "uploads/a.bin").await, data);
    let tags = cluster
        .client
        .get_object_tagging()
        .bucket(BUCKET)
        .key("uploads/a.bin")
        .send()
        .await
        .expect("tags at the cluster");
    assert_eq!(tags.tag_set()[0].value(), "form");
    assert_eq!(
        s_get(&client_for(node.addr, AK, SK), "uploads/a.bin").await,
        data
    );

    let fields = js_sdk_form(
        (AK, SK),
        "uploads/public.bin",
        vec![json!({"acl": "public-read"})],
        &[("acl", "public-read")],
        LATER,
    );
    let resp = post_form(
        &node.url("/forms"),
        form_body(&fields, Some(("p.bin", b"for all")), &[]),
    )
    .await;
    assert_eq!(resp.status(), 501);
    assert_eq!(
        cluster.get_error(BUCKET, "uploads/public.bin").await,
        "NoSuchKey"
    );
}
