//! Throughput of the Kafka text path's native pieces on flow-record lines:
//! `cargo run --release --example textbench [ROUNDS] [check]`. Prints MB/s for the
//! canonical-JSON check and for LZ4 frame compression and decompression.
use panoptes_capture::{jsoncheck, lz4frame};
use std::time::Instant;

fn lines() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..1000u32 {
        if i > 0 {
            out.push(b'\n');
        }
        // Microseconds, as a sensor's times are.
        let t = ((1_700_000_000.0 + i as f64 * 0.000_137_1) * 1e6).round() / 1e6;
        out.extend_from_slice(
            format!(
                "{{\"uid\":\"b{:x}\",\"seq\":1,\"rtype\":\"status\",\"sid\":\"bench\",\"stime\":{},\"ltime\":{},\"dur\":1.25,\"proto\":\"tcp\",\"saddr\":\"10.0.{}.{}\",\"sport\":{},\"dir\":\"->\",\"daddr\":\"81.2.69.{}\",\"dport\":443,\"spkts\":12,\"dpkts\":10,\"sbytes\":2345,\"dbytes\":10456,\"sappbytes\":1500,\"dappbytes\":9000,\"state\":\"CON\",\"sttl\":64,\"dttl\":57,\"tcprtt\":0.012,\"sco\":\"GB\",\"scity\":\"London\"}}",
                i * 7919, t, t + 1.25, i >> 8, i & 255, 1024 + i, (i * 7) % 256
            )
            .as_bytes(),
        );
    }
    out
}

fn rate(bytes: usize, rounds: usize, t: Instant) -> String {
    format!("{:.0} MB/s", (bytes * rounds) as f64 / t.elapsed().as_secs_f64() / 1e6)
}

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(2000, |s| s.parse().unwrap());
    let text = lines();
    let mut n = 0;
    let t = Instant::now();
    for _ in 0..rounds {
        n += jsoncheck::canonical_lines(&text).iter().map(|&b| (b & 1) as usize).sum::<usize>();
    }
    assert_eq!(n, 1000 * rounds);
    println!("check {}", rate(text.len(), rounds, t));
    if std::env::args().nth(2).as_deref() == Some("check") {
        return;
    }
    let z = lz4frame::compress(&text).unwrap();
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(lz4frame::compress(&text).unwrap());
    }
    println!("lz4 compress {} ({} -> {} bytes)", rate(text.len(), rounds, t), text.len(), z.len());
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(lz4frame::decompress(&z, 1 << 30).unwrap());
    }
    println!("lz4 decompress {}", rate(text.len(), rounds, t));
    blocks(&text, rounds);
}
/// lz4_flex's bare block functions on the same data: the reference for the frame code.
fn blocks(text: &[u8], rounds: usize) {
    let z: Vec<Vec<u8>> = text.chunks(65536).map(lz4_flex::block::compress).collect();
    let t = Instant::now();
    for _ in 0..rounds {
        for c in text.chunks(65536) {
            std::hint::black_box(lz4_flex::block::compress(c));
        }
    }
    println!("block compress {}", rate(text.len(), rounds, t));
    let mut out = vec![0u8; 65536];
    let t = Instant::now();
    for _ in 0..rounds {
        for c in &z {
            std::hint::black_box(lz4_flex::block::decompress_into(c, &mut out).unwrap());
        }
    }
    println!("block decompress {}", rate(text.len(), rounds, t));
}
