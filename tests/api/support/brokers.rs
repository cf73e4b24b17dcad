//! Real message brokers on loopback for the notification tests, from Debian's packages
//! (installed by `.ci/install-test-tools`): `nats-server` (with JetStream), `redis-server`
//! and RabbitMQ. Each listens on a free port with its data in a temp directory, is ready
//! before `start` returns, and is killed when dropped. A missing broker fails the test.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_for_port(port: u16, what: &str, within: Duration) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < within,
            "{what} did not listen on {port} within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn binary(candidates: &[&str]) -> String {
    candidates
        .iter()
        .find(|p| Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .unwrap_or_else(|| {
            panic!(
                "{} is installed (.ci/install-test-tools installs it)",
                candidates[0]
            )
        })
}

pub struct Broker {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    kind: &'static str,
}

impl Broker {
    /// nats-server with JetStream (`nats://127.0.0.1:port`).
    pub fn nats() -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        Broker {
            child: None,
            port: free_port(),
            dir,
            kind: "nats",
        }
        .started()
    }

    /// redis-server, nothing saved (`redis://127.0.0.1:port`).
    pub fn redis() -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        Broker {
            child: None,
            port: free_port(),
            dir,
            kind: "redis",
        }
        .started()
    }

    /// RabbitMQ (`amqp://guest:guest@127.0.0.1:port/%2f`), its node named after the port.
    pub fn rabbitmq() -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        Broker {
            child: None,
            port: free_port(),
            dir,
            kind: "rabbitmq",
        }
        .started()
    }

    fn started(mut self) -> Broker {
        let port = self.port.to_string();
        let dir = self.dir.path();
        let (mut command, within) = match self.kind {
            "nats" => {
                let mut c =
                    Command::new(binary(&["/usr/sbin/nats-server", "/usr/bin/nats-server"]));
                c.args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"])
                    .arg(dir);
                (c, Duration::from_secs(20))
            }
            "redis" => {
                let mut c =
                    Command::new(binary(&["/usr/bin/redis-server", "/usr/sbin/redis-server"]));
                c.args([
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &port,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                ])
                .arg(dir);
                (c, Duration::from_secs(20))
            }
            _ => {
                std::fs::write(dir.join("plugins"), "[].").expect("plugins file");
                let mut c = Command::new(binary(&["/usr/lib/rabbitmq/bin/rabbitmq-server"]));
                c.env("HOME", dir)
                    .env(
                        "RABBITMQ_NODENAME",
                        format!("originstore-test-{port}@localhost"),
                    )
                    .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                    .env("RABBITMQ_NODE_PORT", &port)
                    .env("RABBITMQ_DIST_PORT", free_port().to_string())
                    .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
                    .env("RABBITMQ_LOG_BASE", dir.join("log"))
                    .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("plugins"))
                    .env("RABBITMQ_CONFIG_FILE", dir.join("none"))
                    .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir.join("advanced.config"))
                    .env("RABBITMQ_PID_FILE", dir.join("pid"));
                (c, Duration::from_secs(90))
            }
        };
        // Its own process group: RabbitMQ's Erlang VM outlives its start script, and the
        // group is what stop() kills.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.kind));
        self.child = Some(child);
        wait_for_port(self.port, self.kind, within);
        self
    }

    pub fn url(&self) -> String {
        match self.kind {
            "nats" => format!("nats://127.0.0.1:{}", self.port),
            "redis" => format!("redis://127.0.0.1:{}", self.port),
            _ => format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port),
        }
    }

    /// Kill the broker (its port stays this broker's for [`Broker::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port and directory.
    pub fn restart(self) -> Broker {
        self.started()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}
