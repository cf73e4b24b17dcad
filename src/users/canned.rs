//! The canned identity policies `originstore admin policy attach --policy NAME [--bucket B]`
//! offers, as IAM JSON: on bucket `B` (its listing and its objects), or on every bucket.
//!
//! - `readonly`: list and read objects (and their versions, tags, ACLs, attributes);
//! - `writeonly`: write objects, including multipart uploads, without reading or listing;
//! - `readwrite`: both, and deleting objects;
//! - `bucket-admin`: everything on the bucket, its settings included (`s3:*`).
//!
//! Each also allows `s3:ListAllMyBuckets`, so that the holder's bucket listing shows the
//! buckets it may use.

use serde_json::{json, Value};

/// The canned policies' names.
pub const NAMES: [&str; 4] = ["readonly", "writeonly", "readwrite", "bucket-admin"];

const READ: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
];
const LIST: &[&str] = &[
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:GetBucketLocation",
];
const WRITE: &[&str] = &[
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
];
const DELETE: &[&str] = &[
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
];

/// The canned policy `name` on `bucket` (every bucket without one), as JSON text; `None`
/// for a name that is not one.
pub fn policy(name: &str, bucket: Option<&str>) -> Option<String> {
    let b = bucket.unwrap_or("*");
    let (bucket_actions, object_actions): (Vec<&str>, Vec<&str>) = match name {
        "readonly" => (LIST.to_vec(), READ.to_vec()),
        "writeonly" => (vec!["s3:ListBucketMultipartUploads"], WRITE.to_vec()),
        "readwrite" => (LIST.to_vec(), [READ, WRITE, DELETE].concat()),
        "bucket-admin" => (vec!["s3:*"], vec!["s3:*"]),
        _ => return None,
    };
    let statement = |actions: Vec<&str>, resource: String| -> Value {
        json!({ "Effect": "Allow", "Action": actions, "Resource": [resource] })
    };
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            statement(bucket_actions, format!("arn:aws:s3:::{b}")),
            statement(object_actions, format!("arn:aws:s3:::{b}/*")),
            statement(vec!["s3:ListAllMyBuckets"], "arn:aws:s3:::*".to_owned()),
        ],
    });
    Some(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canned_policy_parses_as_an_identity_policy() {
        for name in NAMES {
            for bucket in [Some("photos"), None] {
                let text = policy(name, bucket).expect("canned");
                crate::access::BucketPolicy::parse_identity(&text).expect(name);
            }
        }
        assert!(policy("superuser", None).is_none());
    }
}
