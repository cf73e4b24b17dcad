//! The aws CLI against the real `originstore serve` binary: what a newcomer does first.
//! `.ci/run` installs the CLI (pip) when the machine lacks it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::pattern;

pub(crate) const AK: &str = "CLIACCESSKEY00000001";
pub(crate) const SK: &str = "cli/secret/key/0000000000000000000000001";

/// `originstore serve` as a child process; killed on drop.
pub(crate) struct ServeProcess {
    child: Child,
    pub endpoint: String,
}

impl ServeProcess {
    pub fn start(data_dir: &Path) -> ServeProcess {
        // ORIGINSTORE_BIN lets a measurement run a release server from a debug test.
        let bin = std::env::var_os("ORIGINSTORE_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_originstore").into());
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--access-key",
                AK,
                "--secret-key",
                SK,
                "--data-dir",
            ])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn originstore");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let endpoint = line.trim().rsplit(' ').next().expect("endpoint").to_owned();
        assert!(
            endpoint.starts_with("http://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        ServeProcess { child, endpoint }
    }

    /// The server's peak resident set size so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmHWM")
    }

    /// SIGTERM, and the exit status of a graceful shutdown.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("wait")
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The aws CLI pointed at `endpoint` with the server's credentials and no user config.
pub(crate) fn aws_command(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("aws");
    cmd.arg("--endpoint-url")
        .arg(endpoint)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL");
    cmd
}

/// Run the aws CLI; panics with its output unless it succeeds.
pub(crate) fn aws(endpoint: &str, args: &[&str]) -> std::process::Output {
    let out = aws_command(endpoint, args)
        .output()
        .expect("the aws CLI is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

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
