//! The web console: its API (sessions, CSRF, the S3 API behind a session, share links) and
//! a real headless browser driving the page.

mod api;
mod browser;
mod page;
mod pages;
