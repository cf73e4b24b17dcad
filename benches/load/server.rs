//! The server under load: either an `originstore serve` child on 127.0.0.1:0 with a fresh
//! data directory, or any S3 server already listening (`--endpoint`, for the side-by-side
//! comparison with peers), whose RSS is read from `/proc` when its pid is given.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub addr: SocketAddr,
    pid: Option<u32>,
    /// The spawned child and its scratch directory (logs, and the data unless the caller
    /// named one); `None` for an external server.
    child: Option<(Child, tempfile::TempDir)>,
    /// From spawning the child to its "listening on" line.
    pub startup: Duration,
}

impl Server {
    /// `originstore serve` on 127.0.0.1:0 with a fresh data directory; waits for the
    /// "listening on" line on its stdout. `ORIGINSTORE_BIN` runs another build (a
    /// baseline); the child inherits the environment, so `ORIGINSTORE_CONFIG=file` (or any
    /// other `ORIGINSTORE_*` setting) configures it.
    pub fn spawn(access_key: &str, secret_key: &str) -> Server {
        Server::spawn_on(None, access_key, secret_key)
    }

    /// [`Server::spawn`] on `data_dir` when given (kept when the server goes).
    pub fn spawn_on(data_dir: Option<&Path>, access_key: &str, secret_key: &str) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let bin = std::env::var_os("ORIGINSTORE_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_originstore").into());
        let data = data_dir.map_or_else(|| dir.path().join("data"), Path::to_path_buf);
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--access-key", access_key, "--secret-key", secret_key])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn originstore serve");
        let stdout = child.stdout.take().expect("child stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        let addr = line
            .trim()
            .strip_prefix("originstore listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
        Server {
            addr,
            pid: Some(child.id()),
            child: Some((child, dir)),
            startup: started.elapsed(),
        }
    }

    /// SIGTERM (a clean shutdown, as an operator's restart does), then wait for the exit.
    pub fn stop(mut self) -> Duration {
        let started = Instant::now();
        if let Some((child, _)) = &mut self.child {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
        started.elapsed()
    }

    /// A server someone else started; `pid` (if known) is used for its RSS only.
    pub fn external(addr: SocketAddr, pid: Option<u32>) -> Server {
        Server {
            addr,
            pid,
            child: None,
            startup: Duration::ZERO,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Resets the kernel's peak-RSS counter of the server (`VmHWM`); false if not allowed
    /// or the pid is unknown.
    pub fn reset_peak_rss(&self) -> bool {
        self.pid.is_some_and(crate::rss::reset_peak)
    }

    /// `VmHWM` (peak) and `VmRSS` (now) of the server, in KiB; zeros if the pid is unknown.
    pub fn rss_kib(&self) -> (u64, u64) {
        let rss = self.pid.map(crate::rss::of).unwrap_or_default();
        (rss.peak_kib, rss.current_kib)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM would be kinder, but std has no portable way to send it and the data
        // directory is thrown away anyway.
        if let Some((child, _dir)) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
