//! Decoder and flow table: the first four bytes pick the link type, the rest is
//! a frame. Every frame is metered, so the flow table's paths run too.
#![no_main]
use libfuzzer_sys::fuzz_target;
use panoptes_capture::decode::decode;
use panoptes_capture::flow::{Config, FlowTable};

const LINKTYPES: [u32; 12] = [1, 113, 276, 101, 12, 14, 228, 229, 0, 108, 104, 9];

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let lt = LINKTYPES[data[0] as usize % LINKTYPES.len()];
    let mut table = FlowTable::new(Config {
        sid: "fuzz".into(),
        status_interval_us: 1,
        tcp_timeout_us: 3,
        udp_timeout_us: 2,
        icmp_timeout_us: 1,
        other_timeout_us: 2,
        max_flows: 4,
    });
    // Split the input into a few frames so flows see more than one packet.
    for (i, frame) in data[1..].chunks(97).enumerate() {
        if let Ok(p) = decode(lt, frame, frame.len() as u32 + (i as u32 % 3)) {
            table.packet(i as i64 * 700_000, &p);
        }
    }
    table.flush_all();
});
