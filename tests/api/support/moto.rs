//! moto's S3 server (`moto_server`, from PyPI, pinned and installed by
//! `.ci/install-test-tools`): a peer S3 implementation to migrate from, on a free loopback
//! port, with multipart parts allowed down to 1 KiB. A missing binary fails the test (it
//! never skips). Killed when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub addr: SocketAddr,
}

/// Any credentials: moto checks none.
pub const KEYS: (&str, &str) = ("moto-access", "moto-secret");

impl Moto {
    pub fn start() -> Moto {
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            probe.local_addr().expect("addr")
        };
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .env("S3_UPLOAD_PART_MIN_SIZE", "1024")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (.ci/install-test-tools installs moto[server])");
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { child, addr }
    }

    /// aws-sdk-s3 on it (path style).
    pub fn client(&self) -> aws_sdk_s3::Client {
        crate::support::server::client_for(self.addr, KEYS.0, KEYS.1)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
