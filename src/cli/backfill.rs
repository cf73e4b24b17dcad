//! `originstore migrate backfill BUCKET` (also `originstore backfill BUCKET`): start a
//! bucket's origin backfill on a running server and
//! follow it with a live progress bar (objects, bytes, rate, failures), or `--detach` to
//! start and return, or `--status` to show the job. Credentials and endpoint come from the
//! aws CLI's environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`
//! (default `http://127.0.0.1:9000`) and `AWS_REGION` / `AWS_DEFAULT_REGION`.
//!
//! Exit status 0 only when the job completed without failures (safe to cut over).

use std::time::{Duration, Instant};

use anyhow::Context;
use http::Method;
use serde::Deserialize;

use super::client::{xml_escape, Client};
use super::progress::Progress;

#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// The bucket whose origin to copy.
    pub bucket: String,
    /// Only keys under this prefix.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Objects filled at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Read the keys from this object of the bucket (one per line) instead of listing the
    /// origin (for plain HTTP origins).
    #[arg(long)]
    pub manifest: Option<String>,
    /// Start the job and return.
    #[arg(long)]
    pub detach: bool,
    /// Show the job and return.
    #[arg(long, conflicts_with_all = ["detach", "manifest"])]
    pub status: bool,
}

/// The server's `<BackfillStatus>`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Status {
    state: String,
    #[serde(default)]
    listed: u64,
    #[serde(default)]
    filled: u64,
    #[serde(default)]
    already_local: u64,
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    bytes: u64,
    #[serde(default)]
    error: Option<String>,
    #[serde(rename = "Failure", default)]
    failures: Vec<FailureXml>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct FailureXml {
    key: String,
    reason: String,
}

async fn send(
    client: &Client,
    method: Method,
    bucket: &str,
    body: String,
) -> anyhow::Result<String> {
    client.send(method, bucket, "origin-backfill", body).await
}

async fn fetch_status(client: &Client, bucket: &str) -> anyhow::Result<Status> {
    let text = send(client, Method::GET, bucket, String::new()).await?;
    quick_xml::de::from_str(&text).context("reading the backfill status")
}

pub async fn run(args: BackfillArgs) -> anyhow::Result<std::process::ExitCode> {
    let client = Client::from_env()?;
    if !args.status {
        let source = match &args.manifest {
            Some(key) => format!(
                "<Source>Manifest</Source><ManifestKey>{}</ManifestKey>",
                xml_escape(key)
            ),
            None => "<Source>List</Source>".to_owned(),
        };
        let body = format!(
            "<Backfill><Prefix>{}</Prefix><Concurrency>{}</Concurrency>{source}</Backfill>",
            xml_escape(&args.prefix),
            args.concurrency
        );
        send(&client, Method::PUT, &args.bucket, body).await?;
        if args.detach {
            println!("backfill of {} started", args.bucket);
            return Ok(std::process::ExitCode::SUCCESS);
        }
    }
    let status = if args.status {
        fetch_status(&client, &args.bucket).await?
    } else {
        follow(&client, &args.bucket).await?
    };
    Ok(report(&status))
}

fn progress_line(s: &Status, rate: f64) -> String {
    format!(
        "{} listed, {} filled, {} already local, {} failed, {:.1} MiB, {rate:.0} objects/s",
        s.listed,
        s.filled,
        s.already_local,
        s.failed,
        s.bytes as f64 / (1024.0 * 1024.0)
    )
}

/// Poll the job until it ends, with a live bar on a terminal and a plain line every two
/// seconds otherwise.
async fn follow(client: &Client, bucket: &str) -> anyhow::Result<Status> {
    let started = Instant::now();
    let mut progress = Progress::start();
    loop {
        let status = fetch_status(client, bucket).await?;
        let done = status.filled + status.already_local + status.failed;
        let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
        let ended = status.state != "Running";
        progress.show(progress_line(&status, rate), ended);
        if ended {
            return Ok(status);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Print the outcome; success only for a job that completed without failures.
fn report(status: &Status) -> std::process::ExitCode {
    println!(
        "{}: {} listed, {} filled, {} already local, {} failed, {} bytes",
        status.state,
        status.listed,
        status.filled,
        status.already_local,
        status.failed,
        status.bytes
    );
    for failure in &status.failures {
        println!("failed: {} ({})", failure.key, failure.reason);
    }
    if let Some(error) = &status.error {
        println!("error: {error}");
    }
    match status.state.as_str() {
        "Completed" => {
            println!("safe to cut over: every key is local");
            std::process::ExitCode::SUCCESS
        }
        "Running" => std::process::ExitCode::SUCCESS,
        _ => {
            println!("not safe to cut over");
            std::process::ExitCode::FAILURE
        }
    }
}
