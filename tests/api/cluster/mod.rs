//! Cluster mode (`[backend]`): a node in front of an S3 cluster, reached with SigV4 by the
//! node's cluster credentials. `write_through` uses a second real originstore server on
//! loopback as the cluster (fast, and it enforces conditions); `garage` a real 3-node
//! Garage cluster.

mod balanced;
mod garage;
mod shared;
mod write_through;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use originstore::backend::{Addressing, BackendSettings};

/// The `[backend]` of a node named `node` in front of the cluster at `endpoint`, signing
/// with `keys` in `region` (path-style, no prefix, a 1 GiB cache, revalidation after 60 s).
pub fn backend(endpoint: &str, region: &str, keys: (&str, &str), node: &str) -> BackendSettings {
    BackendSettings {
        endpoint: endpoint.to_owned(),
        region: region.to_owned(),
        access_key: keys.0.to_owned(),
        secret_key: keys.1.to_owned(),
        cache_bytes: 1 << 30,
        cache_low_percent: 90,
        node: Some(node.to_owned()),
        addressing: Addressing::Path,
        bucket_prefix: String::new(),
        revalidate_after_secs: 60,
        settings_refresh_secs: 1,
    }
}

/// A multipart upload of `parts` as `key` through `client`, completed.
pub async fn upload_in_parts(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    parts: &[Vec<u8>],
) {
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("create");
    let id = created.upload_id().expect("id").to_owned();
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let out = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(data.clone().into())
            .send()
            .await
            .expect("part");
        done.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(out.e_tag().expect("etag"))
                .build(),
        );
    }
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .expect("complete");
}
