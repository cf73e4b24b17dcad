//! What the tests share: the test server and its clients (`server`), real clients as child
//! processes (`process`), a stub origin (`stub_origin`), hand-made requests on the wire
//! (`wire`), a real 3-node Garage cluster (`garage`), HAProxy in front of nodes
//! (`haproxy`) and moto's S3 server, a peer to migrate from (`moto`).

pub mod brokers;
pub mod garage;
pub mod haproxy;
pub mod moto;
pub mod process;
pub mod server;
pub mod stub_origin;
pub mod wire;
