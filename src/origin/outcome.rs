//! What the origin engine answers a missed or stale read with — data, never an HTTP
//! response: serve the stored copy, stream the object from the origin (with its head), or
//! send the client to the origin. The GET handler renders each through the same header
//! mapping as a stored object. Also: the `x-originstore-origin` header that tells how an
//! answer was served, and its values.

use std::pin::Pin;

use bytes::Bytes;

use super::head::OriginHead;

/// Response header telling how a GET/HEAD of an origin bucket was served.
pub const ORIGIN_STATUS_HEADER: &str = "x-originstore-origin";

/// Values of [`ORIGIN_STATUS_HEADER`].
pub mod status {
    /// Served from local storage.
    pub const HIT: &str = "hit";
    /// A miss, fetched from the origin and stored (or joined a fetch that stored it).
    pub const MISS_FILLED: &str = "miss-filled";
    /// A miss answered from the origin without storing (HEAD, CopyOriginData=false).
    pub const MISS_PROXIED: &str = "miss-proxied";
    /// A miss answered with a redirect to the origin (Proxy and Redirect modes).
    pub const REDIRECTED: &str = "redirected";
    /// A miss the origin could not serve (404 or failure).
    pub const MISS: &str = "miss";
    /// A stale copy the origin confirmed unchanged (304), served.
    pub const REVALIDATED: &str = "revalidated";
    /// A stale copy replaced by the origin's changed object, served.
    pub const REFRESHED: &str = "refreshed";
    /// A stale copy served as it is (stale-while-revalidate, stale-if-error, an origin 404
    /// with `OnOriginDelete` Keep).
    pub const STALE: &str = "stale";
}

/// The bytes of an answer streamed from the origin.
pub type OriginBody = Pin<Box<dyn futures::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// How a read that went to the origin is answered.
pub enum Outcome {
    /// Serve the stored object, tagged with this [`status`]: the fill committed it (or a
    /// local write won the race), or the origin vouched for the stale copy.
    Local(&'static str),
    /// Answer from the origin.
    Stream(Box<OriginStream>),
    /// Send the client to the object on the origin (Proxy and Redirect modes).
    Redirect { status: u16, location: String },
}

/// An answer streamed from the origin: from the fill's growing file, or proxied.
pub struct OriginStream {
    pub head: OriginHead,
    /// The bytes `first..=last` of the body, when the client's Range could be answered
    /// (the body's length is then `head.size`).
    pub range: Option<(u64, u64)>,
    /// `None` answers a HEAD.
    pub body: Option<OriginBody>,
    /// How it was served: a [`status`].
    pub served: &'static str,
}
