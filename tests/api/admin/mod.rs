//! The admin API and `originstore admin`: users and access keys changed while the server
//! runs, effective at once and durable, secrets sealed at rest and kept out of logs.

mod users;
