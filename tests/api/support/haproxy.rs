//! HAProxy (Debian's, installed by `.ci/install-test-tools`) in front of cluster nodes, as
//! `docs/cluster.md` configures it: each request goes to the node its path (bucket and key,
//! never the query string) hashes to on a consistent ring, the Host header kept, bodies
//! streamed, nodes health-checked on `/health` and marked down within a second. A missing
//! binary fails the test. Killed when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Balancer {
    child: Child,
    _dir: tempfile::TempDir,
    pub addr: SocketAddr,
}

/// The configuration docs/cluster.md gives, for `nodes` behind `listen`.
pub fn config(listen: SocketAddr, nodes: &[SocketAddr]) -> String {
    let mut out = format!(
        "global\n  maxconn 4096\n\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 120s\n  \
         timeout server 120s\n  timeout http-request 30s\n\n\
         frontend s3\n  bind {listen}\n  default_backend originstore\n\n\
         backend originstore\n  balance uri path-only\n  hash-type consistent\n  \
         option httpchk GET /health\n  http-check expect status 200\n"
    );
    for (i, node) in nodes.iter().enumerate() {
        out.push_str(&format!(
            "  server node{i} {node} check inter 300ms fall 2 rise 1\n"
        ));
    }
    out
}

impl Balancer {
    pub fn start(nodes: &[SocketAddr]) -> Balancer {
        let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("haproxy is installed (.ci/install-test-tools installs it)");
        let listen = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            probe.local_addr().expect("addr")
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config(listen, nodes)).expect("write the configuration");
        let child = Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(listen).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "haproxy did not listen on {listen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Balancer {
            child,
            _dir: dir,
            addr: listen,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
