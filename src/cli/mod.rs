//! Client subcommands of the `originstore` binary, which talk to a running server with the
//! aws CLI's credentials and endpoint environment.

pub mod backfill;
