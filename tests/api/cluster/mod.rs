//! Cluster mode (`[backend]`): a node in front of an S3 cluster, reached with SigV4 by the
//! node's cluster credentials. `write_through` uses a second real originstore server on
//! loopback as the cluster (fast, and it enforces conditions); `garage` a real 3-node
//! Garage cluster.

mod balanced;
mod garage;
mod write_through;
