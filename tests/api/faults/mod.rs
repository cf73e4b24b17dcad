//! What the server survives: kill -9 under traffic, a full disk, hostile documents and
//! clients on the wire, secrets that must not leak, and a soak of mixed traffic.

mod connections;
mod crash;
mod disk_full;
mod hostile;
mod security;
mod soak;
