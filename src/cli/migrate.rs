//! `originstore migrate status|backfill|delta|verify|report BUCKET`: finish a move off an old
//! store from a shell, against a running server. Each job is followed with a live progress
//! line (keys, bytes, rate, and time left when an earlier pass of the same kind gives the
//! total), and the exit status is one scripts can trust: 0 only when the job completed clean
//! (`status`: only when the cut-over verdict is Ready).
//!
//! - `delta --until-clean` runs delta passes until one finds nothing to do (at most
//!   `--max-passes`), failing as soon as a pass fails.
//! - `verify --repair` pulls again every key whose copy does not match.
//! - `report` streams every key's state to stdout (or `--output`), as CSV or JSON Lines.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt as _;
use http::Method;
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;

use super::backfill::BackfillArgs;
use super::client::{xml_escape, Client};
use super::progress::Progress;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum MigrateCommand {
    /// The cut-over verdict and the last jobs; exit 0 only when Ready.
    Status { bucket: String },
    /// Copy the origin's keys into the bucket (a backfill) and follow it.
    Backfill(BackfillArgs),
    /// Reconcile the bucket with its origin (a delta pass) and follow it.
    Delta(PassArgs),
    /// Prove every copy by its bytes (a verification) and follow it.
    Verify(PassArgs),
    /// Every key's migration state, streamed.
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct PassArgs {
    pub bucket: String,
    /// Only keys under this prefix.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Keys worked on at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Start the pass and return.
    #[arg(long)]
    pub detach: bool,
    /// (delta) Run passes until one finds nothing to do.
    #[arg(long)]
    pub until_clean: bool,
    /// (delta --until-clean) At most this many passes.
    #[arg(long, default_value_t = 10)]
    pub max_passes: u32,
    /// (verify) Pull again every key whose copy does not match.
    #[arg(long)]
    pub repair: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    pub bucket: String,
    /// csv or jsonl.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Only keys under this prefix.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Write here instead of stdout.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

/// A pass's status as the server writes it (`<DeltaStatus>` / `<VerifyStatus>`).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct PassStatus {
    state: String,
    #[serde(default)]
    clean: bool,
    #[serde(rename = "Count", default)]
    counts: Vec<Count>,
    #[serde(default)]
    pulled: u64,
    #[serde(default)]
    bytes: u64,
    #[serde(default)]
    hashed_bytes: u64,
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    error: Option<String>,
    #[serde(rename = "Mismatch", default)]
    mismatches: Vec<Mismatch>,
    #[serde(rename = "Failure", default)]
    failures: Vec<Failure>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Count {
    class: String,
    keys: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Mismatch {
    key: String,
    differs: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Failure {
    key: String,
    reason: String,
}

impl PassStatus {
    fn keys(&self) -> u64 {
        self.counts.iter().map(|c| c.keys).sum()
    }

    fn summary(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|c| format!("{} {}", c.keys, c.class))
            .collect();
        format!(
            "{}: {} keys ({}), {} pulled, {:.1} MiB, {} failed",
            self.state,
            self.keys(),
            counts.join(", "),
            self.pulled,
            (self.bytes + self.hashed_bytes) as f64 / (1024.0 * 1024.0),
            self.failed
        )
    }
}

/// The `<Cutover>` of `?origin-status`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct OriginStatus {
    cutover: Cutover,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Cutover {
    verdict: String,
    #[serde(rename = "Reason", default)]
    reasons: Vec<String>,
    #[serde(default)]
    missing_here: u64,
    #[serde(default)]
    stale_copies: u64,
    #[serde(default)]
    mismatches: u64,
    #[serde(default)]
    failed_keys: u64,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<std::process::ExitCode> {
    match args.command {
        MigrateCommand::Backfill(args) => super::backfill::run(args).await,
        MigrateCommand::Status { bucket } => status(&bucket).await,
        MigrateCommand::Delta(args) => pass("delta", args).await,
        MigrateCommand::Verify(args) => pass("verify", args).await,
        MigrateCommand::Report(args) => report(args).await,
    }
}

fn exit(ok: bool) -> std::process::ExitCode {
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

async fn status(bucket: &str) -> anyhow::Result<std::process::ExitCode> {
    let client = Client::from_env()?;
    let text = client
        .send(Method::GET, bucket, "origin-status", String::new())
        .await?;
    let status: OriginStatus =
        quick_xml::de::from_str(&text).context("reading the migration status")?;
    let c = &status.cutover;
    println!("cut-over: {}", c.verdict);
    println!(
        "{} keys missing here, {} stale copies, {} mismatching copies, {} keys failed",
        c.missing_here, c.stale_copies, c.mismatches, c.failed_keys
    );
    for reason in &c.reasons {
        println!("- {reason}");
    }
    Ok(exit(c.verdict == "Ready"))
}

async fn fetch(client: &Client, kind: &str, bucket: &str) -> anyhow::Result<Option<PassStatus>> {
    let query = format!("origin-{kind}");
    match client
        .send(Method::GET, bucket, &query, String::new())
        .await
    {
        Ok(text) => Ok(Some(
            quick_xml::de::from_str(&text).context("reading the pass status")?,
        )),
        Err(e) if e.to_string().contains("NoSuchMigrationPass") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn pass(kind: &str, args: PassArgs) -> anyhow::Result<std::process::ExitCode> {
    let client = Client::from_env()?;
    let element = if kind == "delta" { "Delta" } else { "Verify" };
    let body = format!(
        "<{element}><Prefix>{}</Prefix><Concurrency>{}</Concurrency>{}</{element}>",
        xml_escape(&args.prefix),
        args.concurrency,
        if args.repair {
            "<Repair>true</Repair>"
        } else {
            ""
        }
    );
    let passes = if args.until_clean {
        args.max_passes.max(1)
    } else {
        1
    };
    for n in 1..=passes {
        // The previous pass of this kind saw this many keys: the total to expect.
        let expected = fetch(&client, kind, &args.bucket)
            .await?
            .map(|s| s.keys())
            .filter(|n| *n > 0);
        client
            .send(
                Method::PUT,
                &args.bucket,
                &format!("origin-{kind}"),
                body.clone(),
            )
            .await?;
        if args.detach {
            println!("{kind} pass of {} started", args.bucket);
            return Ok(exit(true));
        }
        let status = follow(&client, kind, &args.bucket, expected).await?;
        println!("{kind} pass {n}: {}", status.summary());
        for m in &status.mismatches {
            println!("mismatch: {} ({})", m.key, m.differs);
        }
        for f in &status.failures {
            println!("failed: {} ({})", f.key, f.reason);
        }
        if let Some(error) = &status.error {
            println!("error: {error}");
        }
        let completed = status.state == "Completed";
        if status.clean || !completed || !args.until_clean {
            if completed && !status.clean && kind == "delta" && !args.until_clean {
                println!("it found work: run another (--until-clean)");
            }
            return Ok(exit(status.clean));
        }
    }
    println!("no pass was clean after {passes}");
    Ok(exit(false))
}

/// Poll the pass until it ends, with a live line on a terminal and a plain line every two
/// seconds otherwise.
async fn follow(
    client: &Client,
    kind: &str,
    bucket: &str,
    expected: Option<u64>,
) -> anyhow::Result<PassStatus> {
    let started = Instant::now();
    let mut progress = Progress::start();
    loop {
        let status = fetch(client, kind, bucket)
            .await?
            .context("the pass disappeared")?;
        let keys = status.keys();
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let rate = keys as f64 / secs;
        let left = match expected {
            Some(total) if rate > 0.0 && total > keys => {
                format!(", about {:.0} s left", (total - keys) as f64 / rate)
            }
            _ => String::new(),
        };
        let line = format!(
            "{keys} keys{}, {} pulled, {:.1} MiB, {rate:.0} keys/s{left}",
            expected.map(|t| format!(" of ~{t}")).unwrap_or_default(),
            status.pulled,
            (status.bytes + status.hashed_bytes) as f64 / (1024.0 * 1024.0),
        );
        let ended = status.state != "Running";
        progress.show(line, ended);
        if ended {
            return Ok(status);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn report(args: ReportArgs) -> anyhow::Result<std::process::ExitCode> {
    let client = Client::from_env()?;
    let prefix: String =
        percent_encoding::utf8_percent_encode(&args.prefix, crate::auth::sigv4::URI_ENCODE)
            .to_string();
    let query = format!("origin-report&format={}&prefix={prefix}", args.format);
    let response = client
        .request(Method::GET, &args.bucket, &query, String::new())
        .await?;
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin> = match &args.output {
        Some(path) => Box::new(
            tokio::fs::File::create(path)
                .await
                .with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(tokio::io::stdout()),
    };
    let mut body = response.bytes_stream();
    while let Some(piece) = body.next().await {
        let piece = piece.context("the report was cut short")?;
        out.write_all(&piece).await.context("writing the report")?;
    }
    out.flush().await.context("writing the report")?;
    Ok(exit(true))
}
