//! Integration tests: the real server on 127.0.0.1:0, driven by aws-sdk-s3 (default
//! settings), raw HTTP for edge cases, and the aws CLI. One binary, one module per
//! operation family.

#[allow(dead_code)]
mod common;

mod access;
mod auth;
mod browser;
mod bucket;
mod checksums;
mod chunked;
mod cli;
mod clients;
mod compat;
mod conditional;
mod connections;
mod console;
mod cors;
mod crash_server;
mod disk_full;
mod hostile;
mod lifecycle;
mod list;
mod multipart;
mod object;
mod origin;
mod post_object;
mod process;
mod security;
mod soak;
mod stub_origin;
mod tagging;
mod versioning;
mod wire;
