//! The half of metering that needs no flow state: the BPF filter, decoding,
//! and parsing DNS answers. The meter runs it inline; the pipelined file
//! reader (pipeline.rs) runs it on the reader thread, ahead of the flow table.

use crate::decode::{decode_into, Pkt, Undecodable, L3};
use crate::dns;
use crate::engine::DnsRec;
use crate::record::Addr;

/// What became of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Decoded; `dns`: `Front::dns_rec` holds its DNS answer.
    Decoded { dns: bool },
    /// Rejected by the BPF filter.
    Filtered,
    Undecodable(Undecodable),
}

pub struct Front {
    bpf: Option<pcap::BpfProgram>,
    pub bpf_src: Option<String>,
    bpf_linktype: u32,
    pub dns: bool,
    /// The last DNS answer parsed, its strings reused for the next one.
    pub dns_rec: DnsRec,
}

impl Front {
    pub fn new(bpf: Option<String>, dns: bool) -> Front {
        Front {
            bpf: None,
            bpf_src: bpf,
            bpf_linktype: u32::MAX,
            dns,
            dns_rec: DnsRec::empty(),
        }
    }

    /// Filters and decodes one packet into `p` (the caller's, so that the
    /// pipelined reader decodes straight into its chunk). Errors only when the
    /// filter cannot be compiled for the packet's link type.
    #[inline]
    pub fn packet(&mut self, p: &mut Pkt, linktype: u32, ts: i64, data: &[u8], wire_len: u32) -> Result<Outcome, String> {
        if self.bpf_src.is_some() && !self.passes(linktype, data)? {
            return Ok(Outcome::Filtered);
        }
        match decode_into(p, linktype, data, wire_len) {
            Ok(()) => {
                let dns = self.dns && p.app_cap > 0 && (p.l3 == L3::Ip4 || p.l3 == L3::Ip6) && p.sport == 53 && p.has_ports && self.dns_answer(p, ts, data);
                Ok(Outcome::Decoded { dns })
            }
            Err(e) => Ok(Outcome::Undecodable(e)),
        }
    }

    #[inline(never)]
    fn passes(&mut self, linktype: u32, data: &[u8]) -> Result<bool, String> {
        let Some(src) = &self.bpf_src else { return Ok(true) };
        if linktype != self.bpf_linktype {
            // Compiled per link type: a pcapng file may change it per interface.
            let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| format!("cannot compile filter: {e}"))?;
            self.bpf = Some(dead.compile(src, true).map_err(|e| format!("bad filter \"{src}\": {e}"))?);
            self.bpf_linktype = linktype;
        }
        Ok(self.bpf.as_ref().is_none_or(|b| b.filter(data)))
    }

    /// Parses the DNS response in the packet's payload into `dns_rec`.
    #[inline(never)]
    fn dns_answer(&mut self, p: &Pkt, ts: i64, data: &[u8]) -> bool {
        let Some(mut m) = data.get(p.app_off..p.app_off + p.app_cap) else { return false };
        if p.proto == 6 {
            // DNS over TCP: a two-byte length, then the message (whole messages in one segment only).
            if m.len() < 2 || u16::from_be_bytes([m[0], m[1]]) as usize != m.len() - 2 {
                return false;
            }
            m = &m[2..];
        } else if p.proto != 17 {
            return false;
        }
        let d = &mut self.dns_rec;
        if !dns::parse_response_into(m, &mut d.resp) {
            return false;
        }
        let v4 = p.l3 == L3::Ip4;
        let a = |x: &[u8; 16]| if v4 { Addr::V4([x[0], x[1], x[2], x[3]]) } else { Addr::V6(*x) };
        d.ts = ts;
        d.client = a(&p.dst);
        d.server = a(&p.src);
        true
    }
}
