//! Integration tests: the real server on 127.0.0.1:0, driven by aws-sdk-s3 (default
//! settings), raw HTTP for edge cases, the aws CLI, boto3 and a real browser. One binary;
//! a test is found by what it checks:
//!
//! - `admin/`: the admin API and `originstore admin` (users and access keys);
//! - `s3/`: the S3 API, one file per operation family (buckets, objects, listing,
//!   multipart, versioning, tagging, ACLs and policies, CORS, lifecycle, form uploads,
//!   authentication, checksums, conditional requests);
//! - `origin/`: origin-pull, one file per theme;
//! - `clients/`: third-party clients as users run them (the aws CLI, SDK defaults, the
//!   s3-compat suite);
//! - `cluster/`: cluster mode, a node in front of an S3 cluster;
//! - `console/`: the web console's API and a real browser;
//! - `faults/`: what the server survives — kill -9, a full disk, hostile input and
//!   clients, leaked secrets, a soak;
//! - `support/`: the shared test server, child processes, the stub origin and a wire-level
//!   client.

mod admin;
mod clients;
mod cluster;
mod console;
mod faults;
pub(crate) mod notify;
mod origin;
mod s3;
#[allow(dead_code)]
mod support;
