//! The shared test server: a real originstore on 127.0.0.1:0 with its own temp directory,
//! and clients for it (aws-sdk-s3, raw reqwest, a SigV4 signer for hand-made requests).

use std::net::SocketAddr;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use originstore::config::Config;
use originstore::identity::User;
use originstore::server::Server;

pub const ACCESS_KEY: &str = "TESTACCESSKEY0000001";
pub const SECRET_KEY: &str = "testsecretkey/0000000000000000000000001";
pub const OTHER_ACCESS_KEY: &str = "TESTACCESSKEY0000002";
pub const OTHER_SECRET_KEY: &str = "testsecretkey/0000000000000000000000002";
/// One level deeper than request documents may nest (`originstore::xml::MAX_DEPTH`).
pub const XML_DEPTH_PAST_LIMIT: usize = originstore::xml::MAX_DEPTH;

pub struct TestServer {
    server: Option<Server>,
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    /// aws-sdk-s3 with default settings, as the first user.
    pub client: aws_sdk_s3::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Start with two users; `tweak` may change the configuration first.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_in(tempfile::tempdir().expect("tempdir"), tweak).await
    }

    /// [`TestServer::start_with`] on the data directory under `dir` (a restart, when it
    /// is a stopped server's).
    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::new(
            dir.path().join("data"),
            User {
                access_key: ACCESS_KEY.into(),
                secret_key: SECRET_KEY.into(),
            },
        );
        config.users.push(User {
            access_key: OTHER_ACCESS_KEY.into(),
            secret_key: OTHER_SECRET_KEY.into(),
        });
        config.listen = "127.0.0.1:0".parse().expect("addr");
        tweak(&mut config);
        let server = Server::start(config).await.expect("server starts");
        let addr = server.local_addr();
        let client = client_for(addr, ACCESS_KEY, SECRET_KEY);
        TestServer {
            server: Some(server),
            dir,
            addr,
            client,
        }
    }

    /// [`TestServer::start`] with one bucket created.
    pub async fn with_bucket(bucket: &str) -> TestServer {
        let s = Self::start().await;
        s.create_bucket(bucket).await;
        s
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The Prometheus exposition at `/metrics`, as text.
    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// An admin API request (`/_admin/v1/{path}`) signed by the first user (an admin): its
    /// status and JSON answer (the text as a JSON string when it is not JSON).
    pub async fn admin(
        &self,
        method: http::Method,
        path: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        self.admin_as((ACCESS_KEY, SECRET_KEY), method, path, body)
            .await
    }

    /// [`TestServer::admin`] signed by `keys`.
    pub async fn admin_as(
        &self,
        keys: (&str, &str),
        method: http::Method,
        path: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let resp = signed_request(
            &self.endpoint(),
            keys,
            method,
            &format!("/_admin/v1/{path}"),
            http::HeaderMap::new(),
        )
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }

    /// The running server (to reach its state).
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    pub fn other_client(&self) -> aws_sdk_s3::Client {
        client_for(self.addr, OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
    }

    pub async fn create_bucket(&self, name: &str) {
        self.client
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("create bucket");
    }

    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Vec<u8>>,
    ) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into().into())
            .send()
            .await
            .expect("put object")
    }

    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
        self.client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetObject {bucket}/{key}: {e:?}"))
    }

    pub async fn get_bytes(&self, bucket: &str, key: &str) -> Vec<u8> {
        body_of(self.get_object(bucket, key).await).await
    }

    /// The S3 error code of a GetObject that must fail.
    pub async fn get_error(&self, bucket: &str, key: &str) -> String {
        let result = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await;
        code(&result.expect_err("GetObject must fail"))
    }

    /// A request signed with SigV4 (UNSIGNED-PAYLOAD) by the first user.
    pub fn signed(&self, method: http::Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.signed_with(method, path_and_query, http::HeaderMap::new())
    }

    /// [`TestServer::signed`], sent.
    pub async fn send_signed(
        &self,
        method: http::Method,
        path_and_query: &str,
    ) -> reqwest::Response {
        self.signed(method, path_and_query)
            .send()
            .await
            .expect("sent")
    }

    pub fn signed_with(
        &self,
        method: http::Method,
        path_and_query: &str,
        headers: http::HeaderMap,
    ) -> reqwest::RequestBuilder {
        let keys = (ACCESS_KEY, SECRET_KEY);
        signed_request(&self.endpoint(), keys, method, path_and_query, headers)
    }

    /// PutBucketVersioning of `bucket` to `status`.
    pub async fn set_versioning(
        &self,
        bucket: &str,
        status: aws_sdk_s3::types::BucketVersioningStatus,
    ) {
        self.client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(status)
                    .build(),
            )
            .send()
            .await
            .expect("put versioning");
    }

    /// A signed request with `headers` (signed too) and `body`: its status and S3 error code.
    pub async fn refusal(
        &self,
        method: http::Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).expect("header name");
            map.insert(name, value.parse().expect("header value"));
        }
        let resp = self
            .signed_with(method, path_and_query, map)
            .body(body.to_owned())
            .send()
            .await
            .expect("sent");
        let status = resp.status().as_u16();
        (status, xml_code(&resp.text().await.expect("body")))
    }

    /// UploadPart of `body` as part `n` of `upload_id`: its ETag.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        n: i32,
        body: Vec<u8>,
    ) -> String {
        self.client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(n)
            .body(body.into())
            .send()
            .await
            .expect("upload part")
            .e_tag()
            .expect("etag")
            .to_owned()
    }

    /// Stop the server (graceful) and keep the data directory.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// A request to `endpoint` (`http://host:port`) signed with SigV4 (UNSIGNED-PAYLOAD) with
/// `keys` (access key, secret key); `headers` are signed too.
pub fn signed_request(
    endpoint: &str,
    keys: (&str, &str),
    method: http::Method,
    path_and_query: &str,
    mut headers: http::HeaderMap,
) -> reqwest::RequestBuilder {
    let url = format!("{endpoint}{path_and_query}");
    originstore::origin::sign::sign_origin_request(
        &method,
        &url,
        &mut headers,
        &originstore::origin::sign::SigningKeys {
            region: "us-east-1",
            access_key: keys.0,
            secret_key: keys.1,
        },
        time::OffsetDateTime::now_utc(),
    )
    .expect("signs");
    reqwest::Client::new().request(method, url).headers(headers)
}

pub fn client_for(addr: SocketAddr, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    session_client_for(addr, access_key, secret_key, None)
}

/// [`client_for`] with temporary credentials' session token.
pub fn session_client_for(
    addr: SocketAddr,
    access_key: &str,
    secret_key: &str,
    token: Option<&str>,
) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        access_key,
        secret_key,
        token.map(str::to_owned),
        None,
        "test",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(format!("http://{addr}"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The S3 error code of an SDK error.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => {
            e.err().code().unwrap_or("<none>").to_owned()
        }
        other => format!("<not a service error: {other:?}>"),
    }
}

/// Assert that an aws-sdk-s3 call failed with the S3 error `expected`; the error, for more
/// checks.
#[track_caller]
pub fn expect_code<T, E, R>(
    result: Result<T, aws_sdk_s3::error::SdkError<E, R>>,
    expected: &str,
) -> aws_sdk_s3::error::SdkError<E, R>
where
    T: std::fmt::Debug,
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(out) => panic!("expected {expected}, got a success: {out:?}"),
        Err(err) => {
            assert_eq!(code(&err), expected, "{err:?}");
            err
        }
    }
}

/// The `<Code>` of an XML error body.
pub fn xml_code(body: &str) -> String {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("<none>")
        .to_owned()
}

#[path = "../../support/pattern.rs"]
mod pattern_source;
pub use pattern_source::pattern;

/// One user metadata value (`x-amz-meta-<name>`) of a GetObject or HeadObject answer.
pub fn user_meta<'a>(
    metadata: Option<&'a std::collections::HashMap<String, String>>,
    name: &str,
) -> Option<&'a str> {
    metadata.and_then(|m| m.get(name)).map(String::as_str)
}

/// The keys of a listing page.
pub fn keys_of(contents: &[aws_sdk_s3::types::Object]) -> Vec<String> {
    names(contents, aws_sdk_s3::types::Object::key)
}

/// The common prefixes of a listing page.
pub fn prefixes_of(prefixes: &[aws_sdk_s3::types::CommonPrefix]) -> Vec<String> {
    names(prefixes, aws_sdk_s3::types::CommonPrefix::prefix)
}

fn names<T>(items: &[T], name: fn(&T) -> Option<&str>) -> Vec<String> {
    items.iter().filter_map(name).map(str::to_owned).collect()
}

/// Presigned URLs of the tests are valid for five minutes.
pub fn presigning() -> aws_sdk_s3::presigning::PresigningConfig {
    aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300))
        .expect("presigning config")
}

/// The whole body of a GetObject answer.
pub async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

impl TestServer {
    /// The keys of a ListObjectsV2 of the whole bucket (one page).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .expect("list");
        keys_of(out.contents())
    }

    /// KeyCount of a ListObjectsV2 of the whole bucket.
    pub async fn key_count(&self, bucket: &str) -> Option<i32> {
        self.client
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .expect("list")
            .key_count()
    }
}

/// Every file below `dir` (blob directories, temp directories), recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The part list of a CompleteMultipartUpload: parts 1, 2, ... with these ETags.
pub fn completed(etags: &[String]) -> aws_sdk_s3::types::CompletedMultipartUpload {
    let parts = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| {
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(etag)
                .build()
        })
        .collect();
    aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build()
}

/// A seed from the clock, printed so a failing run can be told apart.
pub fn clock_seed() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    eprintln!("seed {seed}");
    seed
}
