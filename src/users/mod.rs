//! Users and access keys managed while the server runs: the [`Directory`] every request's
//! signature is checked against (the configuration's users, who are the admins, and the
//! users created through the admin API, each with a name and up to two keys), their
//! secrets sealed at rest (`seal.rs`). The admin API that changes them is
//! `handlers/admin.rs`; `originstore admin` is its client (`cli/admin.rs`).

pub mod canned;
mod directory;
pub mod seal;
pub mod sessions;

pub use directory::{
    Directory, DirectoryError, GroupRecord, Holder, NewKey, PublishServer, UserInfo, MAX_KEYS,
    SHARED_PREFIXES,
};
