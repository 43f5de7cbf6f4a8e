//! Panoptes native capture and flow metering.
//!
//! pcap/pcapng reading and live capture, packet decode, an Argus-style
//! bidirectional flow table and DNS answer extraction. The `node` feature adds
//! the N-API binding used by @panoptes/capture.

pub mod cid;
pub mod decode;
pub mod dns;
pub mod engine;
pub mod filesink;
pub mod flow;
pub mod front;
pub mod index;
pub mod jsoncheck;
pub mod jsonline;
pub mod live;
pub mod lz4frame;
pub mod metrics;
pub mod pcapfile;
pub mod pipeline;
pub mod record;

#[cfg(feature = "node")]
mod node;
