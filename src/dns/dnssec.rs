//! DNSSEC as this tool sees it: validation is done by hickory-resolver itself (its `dnssec-ring`
//! validator), never taken from an upstream resolver's AD bit, and every validated answer carries
//! one of the four states of RFC 4035 section 4.3. Also the TLSA record type (RFC 6698 section
//! 2.1) that DANE (RFC 7672) publishes under DNSSEC, and the trust anchor a run validates from.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::Record as HickoryRecord;

use super::{LookupFailure, ResolverSetupError, failure};

/// The DNSSEC state of one answer as the run's own validator found it (RFC 4035 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dnssec {
    /// A chain of signatures from the trust anchor to the answer checked out ("validated by
    /// smtp-doctor").
    Secure,
    /// The validator proved there is no chain: the zone (or one above it) is unsigned.
    Insecure,
    /// A chain should exist but does not check out (bad or expired signatures, missing keys):
    /// validating resolvers answer SERVFAIL.
    Bogus,
    /// The validator could not decide (no answer in time, a server that does not serve
    /// DNSSEC records, a name outside every trust anchor).
    Indeterminate,
}

impl Dnssec {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Dnssec::Secure => "secure",
            Dnssec::Insecure => "insecure",
            Dnssec::Bogus => "bogus",
            Dnssec::Indeterminate => "indeterminate",
        }
    }

    /// In words, as the table shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Dnssec::Secure => "secure (validated by smtp-doctor)",
            Dnssec::Insecure => "insecure (unsigned)",
            Dnssec::Bogus => "bogus (signatures do not validate)",
            Dnssec::Indeterminate => "indeterminate (could not be validated)",
        }
    }

    fn of(proof: Proof) -> Dnssec {
        match proof {
            Proof::Secure => Dnssec::Secure,
            Proof::Insecure => Dnssec::Insecure,
            Proof::Bogus => Dnssec::Bogus,
            Proof::Indeterminate => Dnssec::Indeterminate,
        }
    }

    /// The weakest of two states: an RRset is only as secure as its weakest part, and bogus
    /// outweighs the rest.
    pub fn weakest(self, other: Dnssec) -> Dnssec {
        let rank = |d: Dnssec| match d {
            Dnssec::Secure => 0,
            Dnssec::Insecure => 1,
            Dnssec::Indeterminate => 2,
            Dnssec::Bogus => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Dnssec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One TLSA record (RFC 6698 section 2.1): the raw field values, so values this tool does not
/// know stay visible (and are judged unusable, RFC 7672 section 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218 section 2.1).
    pub usage: u8,
    /// Selector: 0 the full certificate, 1 its SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// Zone-file style: `3 1 1 <hex>`.
impl fmt::Display for Tlsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.usage,
            self.selector,
            self.matching,
            hex::encode(&self.data)
        )
    }
}

/// The owner name of the TLSA records of an MX host on port 25 (RFC 7672 section 2.2.3,
/// RFC 6698 section 3): `_25._tcp.<host>`.
pub fn tlsa_name(host: &str) -> String {
    format!("_25._tcp.{}", host.trim_end_matches('.'))
}

/// The trust anchors a validating resolver starts from: the root's (built into hickory) when
/// `path` is `None`, else the DNSKEY records of the file (zone-file lines such as
/// `example. 3600 IN DNSKEY 257 3 13 <base64>`, as in unbound's `trust-anchor-file`; hickory's
/// parser reads DNSKEY records only, not DS).
pub fn load_trust_anchor(path: Option<&Path>) -> Result<TrustAnchor, ResolverSetupError> {
    let Some(path) = path else {
        return Ok(TrustAnchor {
            anchors: Arc::new(TrustAnchors::default()),
            zone: ".".to_string(),
        });
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        ResolverSetupError(format!(
            "cannot read --trust-anchor {}: {e}",
            path.display()
        ))
    })?;
    let anchors: TrustAnchors = text.parse().map_err(|e| {
        ResolverSetupError(format!(
            "--trust-anchor {} holds no usable DNSKEY records: {e}",
            path.display()
        ))
    })?;
    let none = anchors.is_empty() && !text.to_ascii_uppercase().contains("DNSKEY");
    if none {
        return Err(ResolverSetupError(format!(
            "--trust-anchor {} holds no DNSKEY records",
            path.display()
        )));
    }
    Ok(TrustAnchor {
        anchors: Arc::new(anchors),
        zone: anchor_zone(&text),
    })
}

/// A trust anchor as loaded: its keys, and the zone they are for.
#[derive(Clone)]
pub struct TrustAnchor {
    /// The keys validation starts from.
    pub anchors: Arc<TrustAnchors>,
    /// The zone whose keys they are: `.` for the root's, else the owner of the file's first
    /// record.
    pub zone: String,
}

/// The owner name of the first record of a trust-anchor file (zone-file lines, `;` comments):
/// the zone whose keys it holds; the root when none can be read.
fn anchor_zone(text: &str) -> String {
    text.lines()
        .map(|line| line.split(';').next().unwrap_or_default().trim())
        .find(|line| !line.is_empty() && !line.starts_with('$'))
        .and_then(|line| line.split_whitespace().next())
        .map_or_else(|| ".".to_string(), str::to_string)
}

/// The state of a positive answer: the weakest of its records' proofs (records of other types
/// than asked, the CNAME chain included, count too: an alias is part of the answer).
pub(super) fn answer_state<'a>(records: impl Iterator<Item = &'a HickoryRecord>) -> Dnssec {
    records
        .filter(|r| !r.record_type().is_rrsig())
        .map(|r| Dnssec::of(r.proof))
        .reduce(Dnssec::weakest)
        .unwrap_or(Dnssec::Indeterminate)
}

/// A failed look-up of a validating resolver: why, and the state of the denial (a signed "no
/// such record" is secure; an unsigned one insecure; a validation failure bogus).
pub(super) fn failure_state(error: &NetError) -> (LookupFailure, Dnssec) {
    match error {
        NetError::Dns(DnsError::DnssecBogus) => (
            LookupFailure::ServFail("DNSSEC validation failed".to_string()),
            Dnssec::Bogus,
        ),
        NetError::Dns(DnsError::Nsec {
            response, proof, ..
        }) => {
            let kind = if response.response_code == ResponseCode::NXDomain {
                LookupFailure::NxDomain
            } else {
                LookupFailure::NoData
            };
            (kind, Dnssec::of(*proof))
        }
        NetError::Dns(DnsError::NoRecordsFound(no)) => {
            let authorities = no.authorities.iter().flat_map(|a| a.iter());
            let soa = no.soa.as_ref().map(|s| Dnssec::of(s.proof));
            let state = authorities
                .filter(|r| !r.record_type().is_rrsig())
                .map(|r| Dnssec::of(r.proof))
                .chain(soa)
                .reduce(Dnssec::weakest)
                .unwrap_or(Dnssec::Indeterminate);
            (failure(error), state)
        }
        other => (failure(other), Dnssec::Indeterminate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_of_a_trust_anchor_file() {
        let file = "; test anchor\n$TTL 300\n\ntest. 300 IN DNSKEY 257 3 13 AAAA\n";
        assert_eq!(anchor_zone(file), "test.");
        assert_eq!(
            anchor_zone("  example.org. IN DNSKEY 257 3 8 x ; key\n"),
            "example.org."
        );
        assert_eq!(anchor_zone(""), ".");
        assert_eq!(anchor_zone("; only a comment\n"), ".");
    }

    #[test]
    fn the_weakest_state_wins() {
        assert_eq!(Dnssec::Secure.weakest(Dnssec::Secure), Dnssec::Secure);
        assert_eq!(Dnssec::Secure.weakest(Dnssec::Insecure), Dnssec::Insecure);
        assert_eq!(Dnssec::Bogus.weakest(Dnssec::Insecure), Dnssec::Bogus);
        assert_eq!(
            Dnssec::Insecure.weakest(Dnssec::Indeterminate),
            Dnssec::Indeterminate
        );
    }

    #[test]
    fn tlsa_shows_like_a_zone_file_and_names_its_owner() {
        let record = Tlsa {
            usage: 3,
            selector: 1,
            matching: 1,
            data: vec![0xab, 0x01],
        };
        assert_eq!(record.to_string(), "3 1 1 ab01");
        assert_eq!(tlsa_name("mx.example.test."), "_25._tcp.mx.example.test");
    }

    #[test]
    fn trust_anchor_files() {
        assert!(load_trust_anchor(None).is_ok_and(|a| a.anchors.len() == 2 && a.zone == "."));
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.key");
        assert!(load_trust_anchor(Some(&missing)).is_err());
        let empty = dir.path().join("empty.key");
        std::fs::write(&empty, "; nothing here\n").unwrap();
        assert!(load_trust_anchor(Some(&empty)).is_err());
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, "test. IN DNSKEY what\n").unwrap();
        assert!(load_trust_anchor(Some(&garbage)).is_err());
    }
}
