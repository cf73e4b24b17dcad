//! The `originstore` binary: command-line parsing, logging setup, and `serve` until
//! SIGINT/SIGTERM. Everything else lives in the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use originstore::config::{Config, ServeArgs};
use originstore::server::Server;

/// jemalloc, not the system allocator: with glibc malloc the server's RSS grew by ~1.1 KiB
/// per small object written once its store had been reopened (freed memory retained across
/// arenas), unbounded; with jemalloc it levels off (`benches/RESULTS.md`, issue 17).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "originstore",
    version,
    about = "S3-compatible object server with origin-pull"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (defaults: ./data, 127.0.0.1:9000, us-east-1).
    Serve(ServeArgs),
    /// Finish a move off an old store: status (the cut-over verdict), backfill, delta,
    /// verify, report.
    Migrate(originstore::cli::migrate::MigrateArgs),
    /// Copy a bucket's origin into it (a backfill job on a running server) and follow it
    /// (the same as `migrate backfill`).
    Backfill(originstore::cli::backfill::BackfillArgs),
    /// Users and access keys of a running server (an admin's credentials from
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the server from AWS_ENDPOINT_URL).
    Admin(originstore::cli::admin::AdminArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal, not in log files or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await.map(|()| std::process::ExitCode::SUCCESS),
        Command::Backfill(args) => originstore::cli::backfill::run(args).await,
        Command::Migrate(args) => originstore::cli::migrate::run(args).await,
        Command::Admin(args) => originstore::cli::admin::run(args)
            .await
            .map(|()| std::process::ExitCode::SUCCESS),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::resolve(args)?;
    let generated = config.generated_credentials;
    let user = config.users[0].clone();
    let server = Server::start(config).await?;
    let addr = server.local_addr();
    // stdout carries exactly what a user (or a test) needs; logs go to stderr. A reader
    // that stopped reading (a closed pipe) must not stop the server: write errors are
    // ignored, where `println!` would panic.
    let scheme = if server.state().config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut lines = vec![format!("originstore listening on {scheme}://{addr}")];
    if generated {
        lines.push("credentials (kept in the data directory):".into());
        lines.push(format!("export AWS_ACCESS_KEY_ID={}", user.access_key));
        lines.push(format!("export AWS_SECRET_ACCESS_KEY={}", user.secret_key));
        lines.push(format!("export AWS_ENDPOINT_URL={scheme}://{addr}"));
        let region = &server.state().config.region;
        lines.push(format!("export AWS_DEFAULT_REGION={region}"));
    }
    if server.state().config.console {
        let console = format!("{scheme}://{addr}/console");
        lines.push(format!(
            "console: {console} (sign in with an access key and its secret)"
        ));
    }
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        use std::io::Write as _;
        if writeln!(stdout, "{line}").is_err() {
            break;
        }
    }
    drop(stdout);
    shutdown_signal()
        .await
        .context("waiting for a shutdown signal")?;
    tracing::info!("shutting down");
    server.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
