//! DANE (RFC 7672) facts: what the DANE look-ups of a mail domain found (the TLSA records of each
//! MX host, and the DNSSEC state of every answer DANE depends on), and the digests of a presented
//! certificate that TLSA matching needs. Filled by `run::discover` and `cert`, judged by
//! `verdict::dane`, shown by the renderers.

use crate::dns::{Answer, Dnssec, Tlsa};

/// The digests of one certificate that TLSA records are matched against (RFC 6698 section 2.1:
/// selector 0 the whole certificate, 1 its SubjectPublicKeyInfo; matching type 1 SHA-256, 2
/// SHA-512). The DER itself is not kept: an exact match (matching type 0) is decided by
/// comparing SHA-512 digests, so a batch of many hosts holds 160 bytes of digests per
/// certificate more (and their vectors' bookkeeping), not the certificates. The certificate's SHA-256 is [`crate::model::CertFacts::sha256`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertDigests {
    /// SHA-512 of the certificate's DER.
    pub cert_sha512: Vec<u8>,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: Vec<u8>,
    /// SHA-512 of the DER SubjectPublicKeyInfo.
    pub spki_sha512: Vec<u8>,
    /// Whether this certificate's signature verifies with the public key of the next
    /// certificate the server sent (`None` for the last one, or when it could not be checked):
    /// the link a DANE-TA match (usage 2) needs from the leaf up to the matched certificate.
    pub issued_by_next: Option<bool>,
}

/// What a run's DANE look-ups found for a mail domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaneFacts {
    /// The trust anchor validation started from: `root` (hickory's built-in root keys) or the
    /// `--trust-anchor` file.
    pub trust_anchor: String,
    /// The DNSSEC state of the domain's MX answer, validated by this run (asked only when an MX
    /// host has TLSA records). RFC 7672 section 2.2.1: TLSA records count only when the MX RRset
    /// is secure.
    pub mx: Option<Dnssec>,
    /// One entry per MX host DANE looked at (the probed ones, in MX order).
    pub hosts: Vec<DaneHost>,
    /// Whether this run's DNS path lets DNSSEC validate at all: the state of a denial at the
    /// trust anchor's own zone (a TXT query there), asked only when another answer was bogus.
    /// `Secure` means the DNS server passes DNSSEC records on, so a bogus answer is the zone's
    /// fault; anything else means the server strips them (a stub resolver, a home router), and
    /// nothing could be validated.
    pub path: Option<Dnssec>,
}

impl DaneFacts {
    /// Whether a bogus answer says something about the domain: the trust anchor's own zone
    /// validated through the same DNS server. `false` when that was not asked (nothing bogus).
    pub fn validates_here(&self) -> bool {
        self.path == Some(Dnssec::Secure)
    }
}

/// The DANE look-ups of one MX host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaneHost {
    /// The MX host name.
    pub host: String,
    /// The DNSSEC state of its address records (the weakest of A and AAAA), asked only when the
    /// host has TLSA records; RFC 7672 section 2.2.3: a sender asks for TLSA only when they are
    /// secure.
    pub addresses: Option<Dnssec>,
    /// Where the TLSA records are: `_25._tcp.<host>`.
    pub tlsa_name: String,
    /// The TLSA records, or why there are none.
    pub tlsa: Answer<Tlsa>,
    /// The DNSSEC state of the TLSA answer (of the denial, when there are none).
    pub tlsa_dnssec: Dnssec,
}

impl DaneHost {
    /// The TLSA records found (none when the look-up failed or found nothing).
    pub fn records(&self) -> &[Tlsa] {
        self.tlsa.as_deref().unwrap_or(&[])
    }
}
