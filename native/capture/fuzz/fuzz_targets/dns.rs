//! DNS response parser (compressed names, pointer loops, counts past the end).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = panoptes_capture::dns::parse_response(data);
});
