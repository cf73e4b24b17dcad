//! What the tests share: the test server and its clients (`server`), real clients as child
//! processes (`process`), a stub origin (`stub_origin`), hand-made requests on the wire
//! (`wire`) and a real 3-node Garage cluster (`garage`).

pub mod garage;
pub mod process;
pub mod server;
pub mod stub_origin;
pub mod wire;
