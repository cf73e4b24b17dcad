//! Real clients as child processes: `originstore serve` itself ([`ServeProcess`]), the aws
//! CLI and python3 with boto3, each given the server's credentials and none of the
//! machine's AWS configuration.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

pub(crate) const AK: &str = "CLIACCESSKEY00000001";
pub(crate) const SK: &str = "cli/secret/key/0000000000000000000000001";

/// `originstore serve` as a child process; killed on drop.
pub(crate) struct ServeProcess {
    child: Child,
    pub endpoint: String,
}

impl ServeProcess {
    pub fn start(data_dir: &Path) -> ServeProcess {
        Self::start_with_config(data_dir, None)
    }

    /// [`ServeProcess::start`] with a configuration file (`--config`).
    pub fn start_with_config(data_dir: &Path, config: Option<&Path>) -> ServeProcess {
        Self::spawn(data_dir, config, None, "127.0.0.1:0")
    }

    /// [`ServeProcess::start_with_config`] listening on `listen` (a restart where a
    /// balancer expects the node).
    pub fn restart_on(data_dir: &Path, config: &Path, listen: &str) -> ServeProcess {
        Self::spawn(data_dir, Some(config), None, listen)
    }

    /// [`ServeProcess::start`] logging everything (`RUST_LOG=debug`) to `log`.
    pub fn start_logging_to(data_dir: &Path, log: &Path) -> ServeProcess {
        Self::spawn(data_dir, None, Some(log), "127.0.0.1:0")
    }

    /// [`ServeProcess::start`] with more flags (`--tls-cert ...`).
    pub fn start_with_flags(data_dir: &Path, flags: &[&std::ffi::OsStr]) -> ServeProcess {
        Self::spawn_with(data_dir, None, None, "127.0.0.1:0", flags)
    }

    /// aws-sdk-s3 for this server, as its user.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let addr = self.endpoint.trim_start_matches("http://");
        crate::support::server::client_for(addr.parse().expect("addr"), AK, SK)
    }

    /// SIGHUP (a TLS server reads its certificate again).
    pub fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill -HUP");
        assert!(status.success());
    }

    fn spawn(
        data_dir: &Path,
        config: Option<&Path>,
        log: Option<&Path>,
        listen: &str,
    ) -> ServeProcess {
        Self::spawn_with(data_dir, config, log, listen, &[])
    }

    fn spawn_with(
        data_dir: &Path,
        config: Option<&Path>,
        log: Option<&Path>,
        listen: &str,
        flags: &[&std::ffi::OsStr],
    ) -> ServeProcess {
        // ORIGINSTORE_BIN lets a measurement run a release server from a debug test.
        let bin = std::env::var_os("ORIGINSTORE_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_originstore").into());
        let mut command = Command::new(bin);
        if let Some(config) = config {
            command.arg("serve").arg("--config").arg(config);
        } else {
            command.arg("serve");
        }
        let mut child = command
            .args([
                "--listen",
                listen,
                "--access-key",
                AK,
                "--secret-key",
                SK,
                "--data-dir",
            ])
            .arg(data_dir)
            .args(flags)
            .env("RUST_LOG", if log.is_some() { "debug" } else { "warn" })
            .stdout(Stdio::piped())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn originstore");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let endpoint = line.trim().rsplit(' ').next().expect("endpoint").to_owned();
        assert!(
            endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("https://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        ServeProcess { child, endpoint }
    }

    /// The server's resident set size now (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The server's peak resident set size so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// A `<field> <n> kB` line of `/proc/<pid>/status`.
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/<pid>/status"))
    }

    /// How many file descriptors the server holds open now.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// kill -9: the server dies at once, mid-request, as in a crash.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// Give a child S3 client (the aws CLI, python3 with boto3) the server's credentials and
/// region, and none of the machine's own AWS configuration.
pub(crate) fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
}

/// The aws CLI pointed at `endpoint` with the server's credentials and no user config.
pub(crate) fn aws_command(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("aws");
    cmd.arg("--endpoint-url").arg(endpoint).args(args);
    aws_env(&mut cmd);
    cmd
}

/// Run the aws CLI; panics with its output unless it succeeds.
pub(crate) fn aws(endpoint: &str, args: &[&str]) -> Output {
    succeeded(
        &format!("aws {args:?}"),
        aws_command(endpoint, args)
            .output()
            .expect("the aws CLI is installed (.ci/install-test-tools)"),
    )
}

/// Run a python3 script of `tests/clients/` with boto3 against `endpoint` (its arguments:
/// the endpoint, `dir`, a scratch directory, then `extra`); panics with its output unless it
/// succeeds.
pub(crate) fn boto3_script(script: &str, endpoint: &str, dir: &Path, extra: &[&str]) -> Output {
    let path = format!("{}/tests/clients/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("python3");
    cmd.arg(path).arg(endpoint).arg(dir).args(extra);
    aws_env(&mut cmd)
        // boto3's defaults, whatever the machine says.
        .env_remove("AWS_REQUEST_CHECKSUM_CALCULATION")
        .env_remove("AWS_RESPONSE_CHECKSUM_VALIDATION");
    succeeded(
        script,
        cmd.output()
            .expect("python3 with boto3 is installed (.ci/install-test-tools)"),
    )
}

/// `out`, after asserting that its process succeeded (else both of its streams are shown).
pub(crate) fn succeeded(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
