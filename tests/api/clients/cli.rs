//! The aws CLI against the real `originstore serve` binary: what a newcomer does first.
//! `.ci/run` installs the CLI (pip) when the machine lacks it.

use crate::support::process::{aws, boto3_script, ServeProcess};
use crate::support::server::pattern;

#[test]
fn aws_cli_cp_ls_sync_rm() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join("tree/sub")).expect("mkdir");
    let big = pattern(20 * 1024 * 1024, 7);
    let big_path = work.join("big.bin");
    std::fs::write(&big_path, &big).expect("write");

    aws(&ep, &["s3", "mb", "s3://demo"]);
    aws(
        &ep,
        &[
            "s3",
            "cp",
            big_path.to_str().expect("utf8"),
            "s3://demo/big.bin",
        ],
    );
    let down = work.join("down.bin");
    aws(
        &ep,
        &[
            "s3",
            "cp",
            "s3://demo/big.bin",
            down.to_str().expect("utf8"),
        ],
    );
    assert!(
        std::fs::read(&down).expect("read") == big,
        "20 MiB round trip through the aws CLI"
    );

    let ls = aws(&ep, &["s3", "ls", "s3://demo/"]);
    let ls = String::from_utf8_lossy(&ls.stdout);
    assert!(ls.contains("20971520 big.bin"), "{ls}");

    for (name, content) in [
        ("tree/a.txt", "a"),
        ("tree/sub/b.txt", "bb"),
        ("tree/sub/c d.txt", "ccc"),
    ] {
        std::fs::write(work.join(name), content).expect("write");
    }
    aws(
        &ep,
        &[
            "s3",
            "sync",
            work.join("tree").to_str().expect("utf8"),
            "s3://demo/tree",
        ],
    );
    let ls = aws(&ep, &["s3", "ls", "--recursive", "s3://demo/tree/"]);
    let ls = String::from_utf8_lossy(&ls.stdout);
    for key in ["tree/a.txt", "tree/sub/b.txt", "tree/sub/c d.txt"] {
        assert!(ls.contains(key), "{key} in {ls}");
    }
    let back = work.join("back");
    aws(
        &ep,
        &["s3", "sync", "s3://demo/tree", back.to_str().expect("utf8")],
    );
    assert_eq!(
        std::fs::read_to_string(back.join("sub/c d.txt")).expect("read"),
        "ccc"
    );

    aws(&ep, &["s3", "rm", "--recursive", "s3://demo/"]);
    let ls = aws(&ep, &["s3api", "list-objects-v2", "--bucket", "demo"]);
    assert!(
        !String::from_utf8_lossy(&ls.stdout).contains("\"Key\""),
        "bucket emptied"
    );
    aws(&ep, &["s3", "rb", "s3://demo"]);

    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

/// A versioned bucket through the aws CLI, then boto3 (`tests/clients/boto3_versioning.py`):
/// `aws s3 rm --recursive` leaves delete markers over every version, `s3api
/// list-object-versions` shows both, and boto3's `object_versions.delete()` empties it.
#[test]
fn aws_cli_and_boto3_on_a_versioned_bucket() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    let file = tmp.path().join("f.txt");
    aws(&ep, &["s3", "mb", "s3://hist"]);
    aws(
        &ep,
        &[
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            "hist",
            "--versioning-configuration",
            "Status=Enabled",
        ],
    );
    let status = aws(&ep, &["s3api", "get-bucket-versioning", "--bucket", "hist"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("\"Enabled\""));
    for (key, body) in [
        ("a.txt", "a1"),
        ("a.txt", "a2"),
        ("d/b.txt", "b1"),
        ("c.txt", "c1"),
    ] {
        std::fs::write(&file, body).expect("write");
        let dest = format!("s3://hist/{key}");
        aws(&ep, &["s3", "cp", file.to_str().expect("utf8"), &dest]);
    }
    aws(&ep, &["s3", "rm", "--recursive", "s3://hist/"]);
    let ls = aws(&ep, &["s3", "ls", "--recursive", "s3://hist/"]);
    assert!(
        ls.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&ls.stdout)
    );

    let out = aws(&ep, &["s3api", "list-object-versions", "--bucket", "hist"]);
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let keys = |field: &str| -> Vec<String> {
        listing[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v["Key"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(keys("Versions"), ["a.txt", "a.txt", "c.txt", "d/b.txt"]);
    assert_eq!(keys("DeleteMarkers"), ["a.txt", "c.txt", "d/b.txt"]);
    // The CLI can still read an old version by id.
    let first_a = listing["Versions"][1]["VersionId"].as_str().expect("id");
    let down = tmp.path().join("a1.txt");
    aws(
        &ep,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "hist",
            "--key",
            "a.txt",
            "--version-id",
            first_a,
            down.to_str().expect("utf8"),
        ],
    );
    assert_eq!(std::fs::read_to_string(&down).expect("read"), "a1");

    boto3_script("boto3_versioning.py", &ep, tmp.path(), &["hist"]);
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

/// The aws CLI's tagging, attributes and lifecycle commands, then boto3's checksums
/// (`tests/clients/boto3_checksums.py`) against the same server.
#[test]
fn aws_cli_tagging_attributes_lifecycle_and_boto3_checksums() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    let file = tmp.path().join("f.txt");
    std::fs::write(&file, "tagged body").expect("write");
    aws(&ep, &["s3", "mb", "s3://ops"]);
    aws(
        &ep,
        &["s3", "cp", file.to_str().expect("utf8"), "s3://ops/k.txt"],
    );
    aws(
        &ep,
        &[
            "s3api",
            "put-object-tagging",
            "--bucket",
            "ops",
            "--key",
            "k.txt",
            "--tagging",
            "TagSet=[{Key=team,Value=data},{Key=tier,Value=gold}]",
        ],
    );
    let out = aws(
        &ep,
        &[
            "s3api",
            "get-object-tagging",
            "--bucket",
            "ops",
            "--key",
            "k.txt",
        ],
    );
    let tags: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(tags["TagSet"][1]["Value"], "gold", "{tags}");
    let out = aws(
        &ep,
        &[
            "s3api",
            "get-object-attributes",
            "--bucket",
            "ops",
            "--key",
            "k.txt",
            "--object-attributes",
            "ETag",
            "ObjectSize",
            "StorageClass",
        ],
    );
    let attrs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(attrs["ObjectSize"], 11, "{attrs}");
    assert_eq!(attrs["StorageClass"], "STANDARD", "{attrs}");
    let rules = tmp.path().join("lifecycle.json");
    std::fs::write(
        &rules,
        r#"{"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"logs/"},"Expiration":{"Days":30}}]}"#,
    )
    .expect("write");
    let rules_arg = format!("file://{}", rules.display());
    aws(
        &ep,
        &[
            "s3api",
            "put-bucket-lifecycle-configuration",
            "--bucket",
            "ops",
            "--lifecycle-configuration",
            &rules_arg,
        ],
    );
    let out = aws(
        &ep,
        &[
            "s3api",
            "get-bucket-lifecycle-configuration",
            "--bucket",
            "ops",
        ],
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(got["Rules"][0]["Expiration"]["Days"], 30, "{got}");
    assert_eq!(got["Rules"][0]["Filter"]["Prefix"], "logs/", "{got}");

    boto3_script("boto3_checksums.py", &ep, tmp.path(), &[]);
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

/// Object Lock through the aws CLI (a bucket created with it, a default retention, a put
/// that takes it), then boto3 (`tests/clients/boto3_object_lock.py`): locks that refuse
/// deletes, DeleteObjects with a locked version among unlocked ones, the governance bypass,
/// and Block Public Access.
#[test]
fn aws_cli_and_boto3_object_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    aws(
        &ep,
        &[
            "s3api",
            "create-bucket",
            "--bucket",
            "worm",
            "--object-lock-enabled-for-bucket",
        ],
    );
    aws(
        &ep,
        &[
            "s3api",
            "put-object-lock-configuration",
            "--bucket",
            "worm",
            "--object-lock-configuration",
            r#"{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}"#,
        ],
    );
    let config = aws(
        &ep,
        &["s3api", "get-object-lock-configuration", "--bucket", "worm"],
    );
    let config = String::from_utf8_lossy(&config.stdout).to_string();
    assert!(
        config.contains("\"GOVERNANCE\"") && config.contains("\"Days\": 1"),
        "{config}"
    );
    let file = tmp.path().join("f.txt");
    std::fs::write(&file, "kept").expect("write");
    aws(
        &ep,
        &[
            "s3",
            "cp",
            file.to_str().expect("utf8"),
            "s3://worm/cli.txt",
        ],
    );
    let head = aws(
        &ep,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "worm",
            "--key",
            "cli.txt",
        ],
    );
    let head = String::from_utf8_lossy(&head.stdout).to_string();
    assert!(
        head.contains("\"ObjectLockMode\": \"GOVERNANCE\"")
            && head.contains("ObjectLockRetainUntilDate"),
        "{head}"
    );
    boto3_script("boto3_object_lock.py", &ep, tmp.path(), &["worm"]);
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
