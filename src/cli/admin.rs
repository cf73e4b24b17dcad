//! `originstore admin user|key|policy|group ...`: users, access keys, identity policies and
//! groups of a running server, through its
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
    /// Identity policies of users and groups: attach, detach, list.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Groups: add, remove, list, add-user, remove-user.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Bucket quotas: set, get (with the bucket's usage), clear.
    #[command(subcommand)]
    Quota(QuotaCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum QuotaCommand {
    /// A hard quota: writes that would take the bucket past it are refused.
    Set {
        bucket: String,
        #[arg(long)]
        max_bytes: Option<u64>,
        #[arg(long)]
        max_objects: Option<u64>,
    },
    /// The bucket's quota and usage.
    Get { bucket: String },
    /// Remove the bucket's quota.
    Clear { bucket: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Attach a canned policy (readonly, writeonly, readwrite, bucket-admin), on one bucket
    /// with --bucket, or an IAM JSON file, to a user (or a group with --group).
    Attach {
        name: String,
        #[arg(long)]
        policy: String,
        #[arg(long)]
        bucket: Option<String>,
        #[arg(long)]
        group: bool,
        /// The name the policy is attached under (default: the canned name and the
        /// bucket, or the file's name).
        #[arg(long = "as")]
        attach_as: Option<String>,
    },
    /// Detach a policy by the name it was attached under.
    Detach {
        name: String,
        policy: String,
        #[arg(long)]
        group: bool,
    },
    /// The policies attached to a user (or a group).
    List {
        name: String,
        #[arg(long)]
        group: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum GroupCommand {
    Add {
        name: String,
    },
    Remove {
        name: String,
    },
    List,
    /// Make a user a member of the group.
    AddUser {
        group: String,
        user: String,
    },
    RemoveUser {
        group: String,
        user: String,
    },
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

/// A policy to attach: a canned one (on `bucket`) or a JSON file; its text and default name.
fn policy_text(policy: &str, bucket: Option<&str>) -> anyhow::Result<(String, String)> {
    if let Some(text) = crate::users::canned::policy(policy, bucket) {
        let name = match bucket {
            Some(b) => format!("{policy}-{b}"),
            None => policy.to_owned(),
        };
        return Ok((text, name));
    }
    if bucket.is_some() {
        anyhow::bail!(
            "--bucket goes with a canned policy ({}), not a file",
            crate::users::canned::NAMES.join(", ")
        );
    }
    let path = std::path::Path::new(policy);
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{policy} is neither a canned policy ({}) nor a readable file",
            crate::users::canned::NAMES.join(", ")
        )
    })?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy")
        .to_owned();
    Ok((text, name))
}

fn holder_path(name: &str, group: bool) -> String {
    let kind = if group { "groups" } else { "users" };
    format!("{kind}/{}", segment(name))
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let (method, path, body) = match &args.command {
        AdminCommand::Policy(PolicyCommand::Attach {
            name,
            policy,
            bucket,
            group,
            attach_as,
        }) => {
            let (text, default_name) = policy_text(policy, bucket.as_deref())?;
            let under = attach_as.clone().unwrap_or(default_name);
            (
                Method::PUT,
                format!("{}/policies/{}", holder_path(name, *group), segment(&under)),
                text,
            )
        }
        AdminCommand::Policy(PolicyCommand::Detach {
            name,
            policy,
            group,
        }) => (
            Method::DELETE,
            format!("{}/policies/{}", holder_path(name, *group), segment(policy)),
            String::new(),
        ),
        AdminCommand::Policy(PolicyCommand::List { name, group }) => (
            Method::GET,
            format!("{}/policies", holder_path(name, *group)),
            String::new(),
        ),
        AdminCommand::Quota(QuotaCommand::Set {
            bucket,
            max_bytes,
            max_objects,
        }) => {
            if max_bytes.is_none() && max_objects.is_none() {
                anyhow::bail!("give --max-bytes, --max-objects or both");
            }
            (
                Method::PUT,
                format!("buckets/{}/quota", segment(bucket)),
                serde_json::json!({ "max_bytes": max_bytes, "max_objects": max_objects })
                    .to_string(),
            )
        }
        AdminCommand::Quota(QuotaCommand::Get { bucket }) => (
            Method::GET,
            format!("buckets/{}/quota", segment(bucket)),
            String::new(),
        ),
        AdminCommand::Quota(QuotaCommand::Clear { bucket }) => (
            Method::DELETE,
            format!("buckets/{}/quota", segment(bucket)),
            String::new(),
        ),
        AdminCommand::Group(GroupCommand::Add { name }) => (
            Method::POST,
            "groups".to_owned(),
            serde_json::json!({ "name": name }).to_string(),
        ),
        AdminCommand::Group(GroupCommand::Remove { name }) => (
            Method::DELETE,
            format!("groups/{}", segment(name)),
            String::new(),
        ),
        AdminCommand::Group(GroupCommand::List) => {
            (Method::GET, "groups".to_owned(), String::new())
        }
        AdminCommand::Group(GroupCommand::AddUser { group, user }) => (
            Method::PUT,
            format!("groups/{}/members/{}", segment(group), segment(user)),
            String::new(),
        ),
        AdminCommand::Group(GroupCommand::RemoveUser { group, user }) => (
            Method::DELETE,
            format!("groups/{}/members/{}", segment(group), segment(user)),
            String::new(),
        ),
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
        AdminCommand::Policy(PolicyCommand::List { .. }) => json
            .get("policies")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .collect(),
        AdminCommand::Group(GroupCommand::List) => json
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|g| {
                let members: Vec<&str> = g
                    .get("members")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                format!("{}\t{}", text(g, "name"), members.join(","))
            })
            .collect(),
        AdminCommand::Quota(QuotaCommand::Get { .. }) => {
            let number = |v: &Value| v.as_u64().map_or("none".to_owned(), |n| n.to_string());
            let quota = &json["quota"];
            let usage = &json["usage"];
            vec![
                format!(
                    "quota: {} bytes, {} objects",
                    number(&quota["max_bytes"]),
                    number(&quota["max_objects"])
                ),
                format!(
                    "usage: {} bytes, {} objects",
                    number(&usage["bytes"]),
                    number(&usage["objects"])
                ),
            ]
        }
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
