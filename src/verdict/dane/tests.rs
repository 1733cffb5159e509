//! Matching TLSA records against chains of rcgen certificates (RFC 6698 section 2.1, RFC 7672
//! section 3.1), and the findings of a host whose records are in effect.

use std::time::SystemTime;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData};

use super::*;
use crate::dns::LookupFailure;
use crate::model::{Endpoint, Security, Verification};

/// A CA and a leaf for `mx.example.test` it issued, as DER.
struct Pki {
    ca: Vec<u8>,
    leaf: Vec<u8>,
    /// The leaf's SubjectPublicKeyInfo DER.
    leaf_spki: Vec<u8>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["mx.example.test".to_string()]).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca: ca.der().to_vec(),
        leaf: leaf.der().to_vec(),
        leaf_spki: leaf_key.subject_public_key_info(),
    }
}

/// The TLS facts of a server presenting `chain` (leaf first), each certificate signed by the
/// next as `linked` says, the leaf naming the host as `named` says.
fn tls(chain: &[&[u8]], linked: bool, named: bool) -> TlsFacts {
    let now = SystemTime::now();
    let last = chain.len().saturating_sub(1);
    let chain = chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            let mut facts = crate::cert::facts(der, now).unwrap();
            facts.digests.issued_by_next = (i < last).then_some(linked);
            facts
        })
        .collect();
    TlsFacts {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_128_GCM_SHA256".into(),
        key_exchange: None,
        chain,
        verification: Verification {
            trusted: true,
            hostname_match: Some(named),
            checked_name: Some("mx.example.test".into()),
            errors: Vec::new(),
        },
    }
}

fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> Tlsa {
    Tlsa {
        usage,
        selector,
        matching,
        data,
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    openssl::sha::sha256(data).to_vec()
}

fn sha512(data: &[u8]) -> Vec<u8> {
    openssl::sha::sha512(data).to_vec()
}

#[test]
fn dane_ee_matches_the_leaf_by_every_selector_and_matching_type() {
    let p = pki();
    let facts = tls(&[&p.leaf, &p.ca], true, false);
    for record in [
        tlsa(3, 0, 0, p.leaf.clone()),
        tlsa(3, 0, 1, sha256(&p.leaf)),
        tlsa(3, 0, 2, sha512(&p.leaf)),
        tlsa(3, 1, 0, p.leaf_spki.clone()),
        tlsa(3, 1, 1, sha256(&p.leaf_spki)),
        tlsa(3, 1, 2, sha512(&p.leaf_spki)),
    ] {
        // DANE-EE ignores names (the leaf does not name the host here).
        assert_eq!(match_record(&record, &facts), RecordMatch::Leaf, "{record}");
    }
}

#[test]
fn dane_ee_does_not_match_another_key_or_the_issuer() {
    let p = pki();
    let other = pki();
    let facts = tls(&[&p.leaf, &p.ca], true, true);
    for record in [
        tlsa(3, 1, 1, sha256(&other.leaf_spki)),
        tlsa(3, 0, 1, sha256(&other.leaf)),
        tlsa(3, 0, 1, sha256(&p.ca)),
        // An exact record one byte short is not the certificate.
        tlsa(3, 0, 0, p.leaf[..p.leaf.len() - 1].to_vec()),
    ] {
        assert_eq!(
            match_record(&record, &facts),
            RecordMatch::NoMatch,
            "{record}"
        );
    }
}

#[test]
fn dane_ta_matches_a_presented_issuer_when_the_chain_holds_and_names_the_host() {
    let p = pki();
    let ca_record = tlsa(2, 0, 1, sha256(&p.ca));
    let good = tls(&[&p.leaf, &p.ca], true, true);
    assert_eq!(
        match_record(&ca_record, &good),
        RecordMatch::TrustAnchor { depth: 1 }
    );
    let unnamed = tls(&[&p.leaf, &p.ca], true, false);
    assert!(matches!(
        match_record(&ca_record, &unnamed),
        RecordMatch::TrustAnchorBroken { depth: 1, .. }
    ));
    let unlinked = tls(&[&p.leaf, &p.ca], false, true);
    assert!(matches!(
        match_record(&ca_record, &unlinked),
        RecordMatch::TrustAnchorBroken { depth: 1, .. }
    ));
    // The issuer must be in the chain the server sent (RFC 7672 section 3.1.2).
    let leaf_only = tls(&[&p.leaf], true, true);
    assert_eq!(match_record(&ca_record, &leaf_only), RecordMatch::NoMatch);
    // A DANE-TA record of the leaf itself is not a trust anchor above it.
    let leaf_as_ta = tlsa(2, 0, 1, sha256(&p.leaf));
    assert_eq!(match_record(&leaf_as_ta, &good), RecordMatch::NoMatch);
}

#[test]
fn records_senders_skip() {
    let p = pki();
    let facts = tls(&[&p.leaf, &p.ca], true, true);
    let digest = sha256(&p.leaf_spki);
    for record in [
        tlsa(0, 1, 1, digest.clone()),
        tlsa(1, 1, 1, digest.clone()),
        tlsa(4, 1, 1, digest.clone()),
        tlsa(3, 2, 1, digest.clone()),
        tlsa(3, 1, 3, digest.clone()),
        tlsa(3, 1, 2, digest.clone()),
        tlsa(3, 1, 1, digest[..31].to_vec()),
        tlsa(3, 1, 0, Vec::new()),
    ] {
        assert!(unusable(&record).is_some(), "{record}");
        assert!(
            matches!(match_record(&record, &facts), RecordMatch::Unusable(_)),
            "{record}"
        );
    }
    assert!(unusable(&tlsa(3, 1, 1, digest)).is_none());
}

/// The findings of `mx.example.test` on port 25 with `records`, every answer secure or
/// every answer insecure.
fn judged(records: Vec<Tlsa>, facts: Option<TlsFacts>, secure: bool) -> Vec<FindingId> {
    let state = if secure {
        Dnssec::Secure
    } else {
        Dnssec::Insecure
    };
    judged_with(records, facts, state, state)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The findings (with severities) with the MX answer in state `mx` and the TLSA answer in
/// state `tlsa_state`.
/// [`judged_through`] a DNS server through which DNSSEC validates (the trust anchor's zone is
/// secure whenever something was bogus).
fn judged_with(
    records: Vec<Tlsa>,
    facts: Option<TlsFacts>,
    mx: Dnssec,
    tlsa_state: Dnssec,
) -> Vec<(FindingId, Severity)> {
    let bogus = mx == Dnssec::Bogus || tlsa_state == Dnssec::Bogus;
    judged_through(
        records,
        facts,
        mx,
        tlsa_state,
        bogus.then_some(Dnssec::Secure),
    )
}

fn judged_through(
    records: Vec<Tlsa>,
    facts: Option<TlsFacts>,
    mx: Dnssec,
    tlsa_state: Dnssec,
    path: Option<Dnssec>,
) -> Vec<(FindingId, Severity)> {
    findings(records, facts, [mx, Dnssec::Secure, tlsa_state], path)
        .into_iter()
        .map(|f| (f.id, f.severity))
        .collect()
}

/// The findings of `mx.example.test` on port 25 presenting `facts`, with `records`, the MX
/// answer, the host's addresses and the TLSA answer in the `states` given (in that order), and
/// the trust anchor zone's state `path`. No records with a bogus TLSA answer is a failed
/// look-up, as hickory gives it.
fn findings(
    records: Vec<Tlsa>,
    facts: Option<TlsFacts>,
    states: [Dnssec; 3],
    path: Option<Dnssec>,
) -> Vec<Finding> {
    let [mx, addresses, tlsa_state] = states;
    let mut observation = Observation::new(Endpoint {
        host: "mx.example.test".into(),
        ip: "192.0.2.25".parse().unwrap(),
        port: 25,
        security: Security::Starttls,
    });
    observation.tls = facts;
    let discovery = Discovery {
        domain: Some("example.test".into()),
        dane: Some(DaneFacts {
            trust_anchor: "root".into(),
            mx: Some(mx),
            hosts: vec![DaneHost {
                host: "mx.example.test".into(),
                addresses: Some(addresses),
                tlsa_name: "_25._tcp.mx.example.test".into(),
                tlsa: if records.is_empty() && tlsa_state == Dnssec::Bogus {
                    Err(LookupFailure::ServFail("DNSSEC validation failed".into()))
                } else if records.is_empty() {
                    Err(LookupFailure::NxDomain)
                } else {
                    Ok(records)
                },
                tlsa_dnssec: tlsa_state,
            }],
            path,
        }),
        ..Discovery::default()
    };
    judge(&discovery, &[observation])
}

#[test]
fn bogus_answers_by_what_is_known() {
    let p = pki();
    let facts = || Some(tls(&[&p.leaf, &p.ca], true, true));
    let current = tlsa(3, 1, 1, sha256(&p.leaf_spki));
    // Records found, but the MX answer does not validate: validating senders defer mail.
    assert_eq!(
        judged_with(vec![current], facts(), Dnssec::Bogus, Dnssec::Secure),
        vec![(FindingId::DaneBogus, Severity::Error)]
    );
    // The TLSA answer itself is bogus while DNSSEC validates through this DNS server: the
    // zone is broken, and validating senders defer mail.
    assert_eq!(
        judged_with(Vec::new(), facts(), Dnssec::Secure, Dnssec::Bogus),
        vec![(FindingId::DaneBogus, Severity::Error)]
    );
    // A DNS server that strips DNSSEC makes even the trust anchor's zone bogus: nothing could
    // be validated, which says nothing about the domain (information, not a warning).
    for path in [Dnssec::Bogus, Dnssec::Indeterminate, Dnssec::Insecure] {
        assert_eq!(
            judged_through(
                Vec::new(),
                facts(),
                Dnssec::Secure,
                Dnssec::Bogus,
                Some(path)
            ),
            vec![(FindingId::DaneUnvalidated, Severity::Info)]
        );
        let current = tlsa(3, 1, 1, sha256(&p.leaf_spki));
        assert_eq!(
            judged_through(
                vec![current],
                facts(),
                Dnssec::Bogus,
                Dnssec::Secure,
                Some(path)
            ),
            vec![(FindingId::DaneUnvalidated, Severity::Info)]
        );
    }
    // Signed TLSA records under an unsigned MX answer: void.
    let current = tlsa(3, 1, 1, sha256(&p.leaf_spki));
    assert_eq!(
        judged_with(vec![current], facts(), Dnssec::Insecure, Dnssec::Secure),
        vec![(FindingId::DaneNotDnssec, Severity::Warning)]
    );
}

#[test]
fn findings_by_what_the_records_do() {
    let p = pki();
    let other = pki();
    let facts = || Some(tls(&[&p.leaf, &p.ca], true, true));
    let current = tlsa(3, 1, 1, sha256(&p.leaf_spki));
    let next = tlsa(3, 1, 1, sha256(&other.leaf_spki));
    assert_eq!(
        judged(vec![current.clone()], facts(), true),
        vec![FindingId::DaneMatch, FindingId::DaneKeyPinned]
    );
    // A second record for the next key: nothing pinned.
    assert_eq!(
        judged(vec![current.clone(), next.clone()], facts(), true),
        vec![FindingId::DaneMatch]
    );
    assert_eq!(
        judged(vec![tlsa(3, 0, 1, sha256(&p.leaf))], facts(), true),
        vec![FindingId::DaneMatch, FindingId::DaneBreaksOnRenewal]
    );
    assert_eq!(
        judged(vec![next.clone()], facts(), true),
        vec![FindingId::DaneNoMatch]
    );
    assert_eq!(
        judged(vec![current.clone()], None, true),
        vec![FindingId::DaneNoStarttls]
    );
    // Unsigned: senders ignore the records, matching or not.
    assert_eq!(
        judged(vec![next], facts(), false),
        vec![FindingId::DaneNotDnssec]
    );
    assert_eq!(
        judged(Vec::new(), facts(), true),
        vec![FindingId::DaneNoTlsa]
    );
    let pkix_only = vec![tlsa(1, 1, 1, sha256(&p.leaf_spki))];
    assert_eq!(
        judged(pkix_only, facts(), true),
        vec![FindingId::DaneUnusableRecord]
    );
}

#[test]
fn names_and_words_of_matches_and_effects() {
    let cases = [
        (
            RecordMatch::Leaf,
            "match_leaf",
            "matches the server certificate",
        ),
        (
            RecordMatch::TrustAnchor { depth: 1 },
            "match_trust_anchor",
            "matches the issuer certificate at depth 1",
        ),
        (
            RecordMatch::TrustAnchorBroken {
                depth: 2,
                why: "the chain breaks",
            },
            "trust_anchor_chain_broken",
            "matches the certificate at depth 2, but the chain breaks",
        ),
        (
            RecordMatch::NoMatch,
            "no_match",
            "matches no certificate presented",
        ),
        (RecordMatch::Unusable("odd"), "unusable", "unusable: odd"),
    ];
    for (m, name, words) in cases {
        assert_eq!(m.as_str(), name);
        assert_eq!(m.describe(), words);
    }
    let effects = [
        (Effect::InEffect, "in_effect"),
        (Effect::NoRecords, "no_records"),
        (Effect::Void, "ignored"),
        (Effect::Bogus, "bogus"),
        (Effect::Undecided, "undecided"),
        (Effect::Unvalidated, "unvalidated"),
    ];
    for (effect, name) in effects {
        assert_eq!(effect.as_str(), name);
    }
    // PKIX usages are named as such, not as unknown ones.
    let pkix = unusable(&tlsa(1, 1, 1, vec![0; 32])).unwrap();
    assert!(pkix.contains("PKIX"), "{pkix}");
    assert_eq!(
        unusable(&tlsa(9, 1, 1, vec![0; 32])),
        Some("unknown certificate usage")
    );
}

#[test]
fn only_the_hosts_port_25_probes_are_assessed_and_bogus_names_its_parts() {
    let p = pki();
    let record = tlsa(3, 1, 1, sha256(&p.leaf_spki));
    let probe = |host: &str, port: u16, with_tls: bool| {
        let mut o = Observation::new(Endpoint {
            host: host.into(),
            ip: "192.0.2.25".parse().unwrap(),
            port,
            security: Security::Starttls,
        });
        o.tls = with_tls.then(|| tls(&[&p.leaf, &p.ca], true, true));
        o
    };
    let observations = [
        probe("mx.example.test", 25, true),
        probe("mx.example.test", 587, true),
        probe("other.example.test", 25, true),
        probe("mx.example.test", 25, false),
    ];
    let dane = DaneFacts {
        trust_anchor: "root".into(),
        mx: Some(Dnssec::Bogus),
        hosts: vec![DaneHost {
            host: "mx.example.test".into(),
            addresses: Some(Dnssec::Bogus),
            tlsa_name: "_25._tcp.mx.example.test".into(),
            tlsa: Ok(vec![record]),
            tlsa_dnssec: Dnssec::Secure,
        }],
        path: Some(Dnssec::Secure),
    };
    let assessed = assess(&dane, &observations);
    let endpoints = &assessed[0].endpoints;
    assert_eq!(endpoints.len(), 2, "port 25 of mx.example.test only");
    assert!(endpoints.iter().all(|e| e.observation.endpoint.port == 25));
    assert!(endpoints[0].has_tls() && !endpoints[1].has_tls());
    assert_eq!(endpoints[0].matches, vec![RecordMatch::Leaf]);
    assert!(endpoints[1].matches.is_empty());
    // The bogus finding names what failed.
    let discovery = Discovery {
        domain: Some("example.test".into()),
        dane: Some(dane),
        ..Discovery::default()
    };
    let findings = judge(&discovery, &observations);
    let bogus = findings
        .iter()
        .find(|f| f.id == FindingId::DaneBogus)
        .expect("dane.bogus");
    assert!(
        bogus
            .message
            .contains("for the MX answer, the addresses of mx.example.test:"),
        "{}",
        bogus.message
    );
}

/// [`findings`] of a host presenting the test chain, through a DNS server where DNSSEC
/// validates.
fn findings_with(
    records: Vec<Tlsa>,
    mx: Dnssec,
    addresses: Dnssec,
    tlsa_state: Dnssec,
) -> Vec<Finding> {
    let p = pki();
    let facts = Some(tls(&[&p.leaf, &p.ca], true, true));
    findings(
        records,
        facts,
        [mx, addresses, tlsa_state],
        Some(Dnssec::Secure),
    )
}

#[test]
fn what_is_unsigned_is_named_and_the_advice_fits_the_zone() {
    use Dnssec::{Insecure, Secure};
    // No records: a signed denial needs only the record; an unsigned zone needs DNSSEC first.
    let signed = findings_with(Vec::new(), Secure, Secure, Secure);
    assert!(
        signed[0]
            .advice
            .starts_with("Optional: to make senders insist"),
        "{:?}",
        signed[0]
    );
    let unsigned = findings_with(Vec::new(), Insecure, Insecure, Insecure);
    assert!(
        unsigned[0]
            .advice
            .starts_with("Optional: DANE needs DNSSEC"),
        "{:?}",
        unsigned[0]
    );
    // Records that senders ignore: which answer is unsigned.
    let record = || vec![tlsa(3, 1, 1, vec![7; 32])];
    let void = |mx, addresses, tlsa_state| {
        let found = findings_with(record(), mx, addresses, tlsa_state);
        assert_eq!(found[0].id, FindingId::DaneNotDnssec, "{found:?}");
        found[0].message.clone()
    };
    assert!(void(Secure, Secure, Insecure).contains("the answer is not DNSSEC-validated"));
    assert!(void(Insecure, Secure, Secure).contains("the MX answer of example.test"));
    assert!(void(Secure, Insecure, Secure).contains("the addresses of mx.example.test"));
}
