//! What the tests share: the test server and its clients (`server`), real clients as child
//! processes (`process`), a stub origin (`stub_origin`) and hand-made requests on the wire
//! (`wire`).

pub mod process;
pub mod server;
pub mod stub_origin;
pub mod wire;
