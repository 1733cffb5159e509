//! Test PKI made at test time with rcgen: a test CA, leaves signed by it, and the odd ones
//! (self-signed, expired, not yet valid, from another CA).

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// A certificate with its key, as PEM.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// Leaf certificate PEM.
    pub cert_pem: String,
    /// Leaf then intermediate(s), PEM; equals `cert_pem` when issued directly by a root.
    pub chain_pem: String,
    /// PKCS#8 private key PEM.
    pub key_pem: String,
}

/// A certificate authority for tests.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    /// The CA certificate as PEM.
    pub cert_pem: String,
}

/// Validity of a leaf relative to now.
#[derive(Clone, Copy, Debug)]
pub enum Validity {
    /// Valid from a day ago for a year.
    Good,
    /// Ended ten days ago.
    Expired,
    /// Starts in ten days.
    NotYetValid,
    /// Ends in this many days.
    EndsInDays(i64),
}

impl TestCa {
    /// A new root CA named `name` (the subject's CN and O).
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(30);
        params.not_after = now + Duration::days(3650);
        let cert = params.self_signed(&key).expect("self-sign CA");
        TestCa {
            cert_pem: cert.pem(),
            params,
            key,
        }
    }

    /// A leaf for these DNS names (first one is also the CN), signed by this CA.
    pub fn leaf(&self, names: &[&str], validity: Validity) -> Leaf {
        let key = KeyPair::generate().expect("generate leaf key");
        let params = leaf_params(names, validity);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("sign leaf");
        Leaf {
            cert_pem: cert.pem(),
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the CA certificate to a file in `dir` and returns its path (for `--ca-file`).
    pub fn write_to(&self, dir: &std::path::Path) -> PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.cert_pem).expect("write CA file");
        path
    }
}

/// A self-signed leaf for these names.
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("generate key");
    let params = leaf_params(names, Validity::Good);
    let cert = params.self_signed(&key).expect("self-sign");
    Leaf {
        cert_pem: cert.pem(),
        chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn leaf_params(names: &[&str], validity: Validity) -> CertificateParams {
    let sans: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(sans).expect("leaf params");
    let mut dn = DistinguishedName::new();
    if let Some(first) = names.first() {
        dn.push(DnType::CommonName, *first);
    }
    params.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    let (from, to) = match validity {
        Validity::Good => (now - Duration::days(1), now + Duration::days(365)),
        Validity::Expired => (now - Duration::days(100), now - Duration::days(10)),
        Validity::NotYetValid => (now + Duration::days(10), now + Duration::days(100)),
        Validity::EndsInDays(d) => (now - Duration::days(1), now + Duration::days(d)),
    };
    params.not_before = from;
    params.not_after = to;
    params
}
