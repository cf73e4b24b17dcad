//! `originstore admin user|key ...`: users and access keys of a running server, through its
//! admin API (`handlers/admin.rs`), with an admin's credentials from the aws CLI's
//! environment (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
//!
//! Output is for people (a line per user or key; a new key's secret, shown once), or the
//! server's JSON with `--json`, for scripts.

use anyhow::Context as _;
use http::Method;
use serde_json::Value;

use super::client::Client;

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Print the server's JSON answer instead of lines.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Users: add, list, disable, enable, remove.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys: add, list, remove (a user holds at most two).
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user with one access key; prints the key and its secret (shown only now).
    Add {
        name: String,
    },
    /// Every user and its access keys.
    List,
    /// Stop the user's keys signing (until `enable`).
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
    /// Remove the user and its keys.
    Remove {
        name: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// A new access key for the user (its secret is shown only now).
    Add { user: String },
    /// The user's access keys.
    List { user: String },
    /// Remove an access key.
    Remove { access_key: String },
}

/// One path segment, percent-encoded.
fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let (method, path, body) = match &args.command {
        AdminCommand::User(UserCommand::Add { name }) => (
            Method::POST,
            "users".to_owned(),
            serde_json::json!({ "name": name }).to_string(),
        ),
        AdminCommand::User(UserCommand::List) => (Method::GET, "users".to_owned(), String::new()),
        AdminCommand::User(UserCommand::Disable { name }) => (
            Method::POST,
            format!("users/{}/disable", segment(name)),
            String::new(),
        ),
        AdminCommand::User(UserCommand::Enable { name }) => (
            Method::POST,
            format!("users/{}/enable", segment(name)),
            String::new(),
        ),
        AdminCommand::User(UserCommand::Remove { name }) => (
            Method::DELETE,
            format!("users/{}", segment(name)),
            String::new(),
        ),
        AdminCommand::Key(KeyCommand::Add { user }) => (
            Method::POST,
            format!("users/{}/keys", segment(user)),
            String::new(),
        ),
        AdminCommand::Key(KeyCommand::List { user }) => (
            Method::GET,
            format!("users/{}/keys", segment(user)),
            String::new(),
        ),
        AdminCommand::Key(KeyCommand::Remove { access_key }) => (
            Method::DELETE,
            format!("keys/{}", segment(access_key)),
            String::new(),
        ),
    };
    let answer = client
        .request_to(method, &format!("/_admin/v1/{path}"), body)
        .await?
        .text()
        .await
        .context("reading the answer")?;
    if args.json {
        println!("{answer}");
        return Ok(());
    }
    let json: Value = serde_json::from_str(&answer).context("the answer is not JSON")?;
    for line in lines(&args.command, &json) {
        println!("{line}");
    }
    Ok(())
}

/// What a person reads of an answer.
fn lines(command: &AdminCommand, json: &Value) -> Vec<String> {
    let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
    match command {
        AdminCommand::User(UserCommand::Add { .. }) | AdminCommand::Key(KeyCommand::Add { .. }) => {
            vec![
                format!("user:              {}", text(json, "user")),
                format!("access key id:     {}", text(json, "access_key")),
                format!("secret access key: {}", text(json, "secret_key")),
                "(the secret is shown only now: keep it)".to_owned(),
            ]
        }
        AdminCommand::User(UserCommand::List) => json
            .get("users")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|u| {
                let keys: Vec<&str> = u
                    .get("access_keys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let enabled = u.get("enabled").and_then(Value::as_bool).unwrap_or(false);
                let admin = u.get("admin").and_then(Value::as_bool).unwrap_or(false);
                let role = if admin { " (admin)" } else { "" };
                let state = if enabled { "enabled" } else { "disabled" };
                format!("{}{role}\t{state}\t{}", text(u, "name"), keys.join(","))
            })
            .collect(),
        AdminCommand::Key(KeyCommand::List { .. }) => json
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|k| text(k, "access_key"))
            .collect(),
        _ => vec!["ok".to_owned()],
    }
}
