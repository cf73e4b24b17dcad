//! The admin API and `originstore admin`: users and access keys changed while the server
//! runs, effective at once and durable, secrets sealed at rest and kept out of logs;
//! identity policies and groups combined with bucket policies; temporary credentials (STS); bucket quotas.

mod policies;
mod quota;
mod sts;
mod users;
