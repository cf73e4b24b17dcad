//! Cluster mode (`[backend]`): a node in front of an S3 cluster. Here the cluster is a
//! second real originstore server on loopback (a real S3 server, reached with SigV4 by the
//! node's cluster credentials); the node writes through to it and fills its misses from it.

mod write_through;
