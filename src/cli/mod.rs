//! Client subcommands of the `originstore` binary, which talk to a running server with the
//! aws CLI's credentials and endpoint environment (`client`): `migrate` (status, backfill,
//! delta, verify, report) and its `backfill`, and `admin` (users and access keys).

pub mod admin;
pub mod backfill;
mod client;
pub mod migrate;
mod progress;
