//! pcap/pcapng file reader over arbitrary bytes, then the whole meter.
#![no_main]
use libfuzzer_sys::fuzz_target;
use panoptes_capture::decode::decode;
use panoptes_capture::pcapfile::PcapReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = PcapReader::new(data) else { return };
    for _ in 0..10_000 {
        match r.next_packet() {
            Ok(Some(p)) => {
                let _ = decode(p.linktype, p.data, p.orig_len);
            }
            _ => break,
        }
    }
});
