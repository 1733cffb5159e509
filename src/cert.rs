//! Certificate facts from DER: names, SANs, validity relative to the probe time, key, signature
//! algorithm, serial and fingerprint, read with x509-parser. No trust decisions here; OpenSSL
//! makes those in `tls`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::asn1_rs::Oid;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Name};

use crate::model::{CertDigests, CertFacts};

const SECS_PER_DAY: i64 = 86_400;

/// Why certificate facts could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The bytes are not a DER X.509 certificate x509-parser can read.
    #[error("certificate could not be parsed: {0}")]
    Parse(String),
    /// A PEM block is malformed (bad header, missing end line, bad base64).
    #[error("PEM could not be read: {0}")]
    Pem(String),
}

/// Reads the facts of one DER certificate, with validity measured against `now` (the time of
/// the probe, passed in so results are reproducible).
///
/// Bytes after the certificate are ignored, as OpenSSL does; the fingerprint covers the
/// certificate's own bytes only.
pub fn facts(der: &[u8], now: SystemTime) -> Result<CertFacts, CertError> {
    let (_rest, cert) = X509Certificate::from_der(der).map_err(|e| match e {
        x509_parser::nom::Err::Incomplete(_) => CertError::Parse("truncated".to_owned()),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
            CertError::Parse(e.to_string())
        }
    })?;
    let tbs = &cert.tbs_certificate;
    let now = unix_secs(now);
    let not_before = tbs.validity.not_before.timestamp();
    let not_after = tbs.validity.not_after.timestamp();

    Ok(CertFacts {
        subject: name_string(&tbs.subject),
        issuer: name_string(&tbs.issuer),
        san: subject_alt_names(&cert),
        not_before: rfc3339(&tbs.validity.not_before),
        not_after: rfc3339(&tbs.validity.not_after),
        days_left: not_after.saturating_sub(now).div_euclid(SECS_PER_DAY),
        not_yet_valid_secs: not_before.saturating_sub(now),
        key: key_description(&tbs.subject_pki),
        signature_algorithm: signature_name(&cert.signature_algorithm),
        rsa_bits: rsa_key_bits(&tbs.subject_pki),
        signature_digest: signature_digest(&cert.signature_algorithm).map(str::to_owned),
        serial: serial_hex(tbs.raw_serial()),
        sha256: hex::encode(openssl::sha::sha256(cert.as_raw())),
        self_issued: tbs.subject.as_raw() == tbs.issuer.as_raw(),
        is_ca: tbs.is_ca(),
        digests: CertDigests {
            cert_sha512: openssl::sha::sha512(cert.as_raw()).to_vec(),
            spki_sha256: openssl::sha::sha256(tbs.subject_pki.raw).to_vec(),
            spki_sha512: openssl::sha::sha512(tbs.subject_pki.raw).to_vec(),
            issued_by_next: None,
        },
    })
}

/// Reads the facts of every `CERTIFICATE` block in a PEM text, in order; other blocks (keys,
/// parameters) and text between blocks are skipped.
pub fn facts_from_pem_chain(pem: &[u8], now: SystemTime) -> Result<Vec<CertFacts>, CertError> {
    let mut chain = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| CertError::Pem(e.to_string()))?;
        if block.label == "CERTIFICATE" {
            chain.push(facts(&block.contents, now)?);
        }
    }
    Ok(chain)
}

/// Seconds since the Unix epoch, negative before it; saturates instead of overflowing.
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The name in x509-parser's `CN=..., O=...` form; an undecodable name (for example a string
/// attribute that is not UTF-8) is shown as hex rather than dropped.
fn name_string(name: &X509Name<'_>) -> String {
    name.to_string_with_registry(oid_registry())
        .unwrap_or_else(|_| format!("<undecodable name {}>", hex::encode(name.as_raw())))
}

/// RFC 3339 in UTC with `Z`, whole seconds.
fn rfc3339(t: &ASN1Time) -> String {
    // Rebuilt from the timestamp so the offset is UTC whatever the parser kept; ASN.1 years
    // (0000-9999) always fit, the fallback is for the impossible case only.
    OffsetDateTime::from_unix_timestamp(t.timestamp())
        .ok()
        .and_then(|dt| dt.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// DNS names as is, addresses as `IP:...`, e-mail as `email:...`, URIs as `URI:...`; an entry
/// that cannot be decoded is listed as `invalid:` with its bytes escaped (never dropped, so
/// the count is right), other kinds by their kind. Every SAN extension is read, so a
/// duplicated one does not hide names.
fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for ext in cert.tbs_certificate.iter_extensions() {
        if ext.oid.to_id_string() != "2.5.29.17" {
            continue;
        }
        let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() else {
            out.push(format!("invalid:{}", escaped(ext.value)));
            continue;
        };
        out.extend(san.general_names.iter().map(general_name));
    }
    out
}

/// One subject alternative name as text.
fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        // A name cannot hold a colon: one that does is marked, so that `IP:192.0.2.1` written as
        // a DNS name is never taken for an address entry.
        GeneralName::DNSName(dns) if dns.contains(':') => format!("DNS:{dns}"),
        GeneralName::DNSName(dns) => (*dns).to_owned(),
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::IPAddress(bytes) => match ip_string(bytes) {
            Some(ip) => format!("IP:{ip}"),
            None => format!("invalid:IP {}", escaped(bytes)),
        },
        GeneralName::Invalid(_, bytes) => format!("invalid:{}", escaped(bytes)),
        GeneralName::OtherName(oid, _) => format!("otherName:{oid}"),
        GeneralName::RegisteredID(oid) => format!("registeredID:{oid}"),
        GeneralName::DirectoryName(name) => format!("dirName:{name}"),
        GeneralName::X400Address(_) => "x400Address".to_owned(),
        GeneralName::EDIPartyName(_) => "ediPartyName".to_owned(),
    }
}

/// Bytes as text with everything but printable ASCII escaped (`\xNN`), at most 64 bytes.
fn escaped(bytes: &[u8]) -> String {
    let shown = bytes.get(..bytes.len().min(64)).unwrap_or_default();
    let mut text: String = shown
        .iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if bytes.len() > shown.len() {
        text.push_str("...");
    }
    text
}

/// An iPAddress SAN is 4 or 16 raw bytes; anything else is malformed.
fn ip_string(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(Ipv4Addr::from(v4).to_string());
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        return Some(Ipv6Addr::from(v6).to_string());
    }
    None
}

/// `RSA 2048`, `EC P-256`, `Ed25519`, ...; the dotted OID for key types we do not name.
fn key_description(spki: &SubjectPublicKeyInfo<'_>) -> String {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.2.840.113549.1.1.1" => with_bits("RSA", rsa_bits(spki)),
        "1.2.840.113549.1.1.10" => with_bits("RSA-PSS", rsa_bits(spki)),
        "1.2.840.10045.2.1" => match curve_oid(&spki.algorithm) {
            Some(curve) => format!("EC {}", curve_name(&curve)),
            None => "EC".to_owned(),
        },
        "1.3.101.112" => "Ed25519".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.3.101.110" => "X25519".to_owned(),
        "1.3.101.111" => "X448".to_owned(),
        "1.2.840.10040.4.1" => "DSA".to_owned(),
        _ => alg,
    }
}

/// The modulus size of an RSA (or RSA-PSS) key.
fn rsa_key_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<u32> {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            rsa_bits(spki).and_then(|b| u32::try_from(b).ok())
        }
        _ => None,
    }
}

/// The digest a signature algorithm uses, when its OID names one (RSASSA-PSS carries it in
/// its parameters, EdDSA has none of its own).
fn signature_digest(alg: &AlgorithmIdentifier<'_>) -> Option<&'static str> {
    let digest = match alg.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.2" => "MD2",
        "1.2.840.113549.1.1.4" => "MD5",
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29" => {
            "SHA-1"
        }
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => "SHA-224",
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" | "2.16.840.1.101.3.4.3.2" => "SHA-256",
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => "SHA-384",
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => "SHA-512",
        _ => return None,
    };
    Some(digest)
}

fn with_bits(kind: &str, bits: Option<usize>) -> String {
    match bits {
        Some(bits) => format!("{kind} {bits}"),
        None => kind.to_owned(),
    }
}

/// The modulus size in bits. Computed here rather than with x509-parser's `key_size`, which
/// assumes exactly one leading zero byte.
fn rsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<usize> {
    let (_, key) = RSAPublicKey::from_der(&spki.subject_public_key.data).ok()?;
    let first_nonzero = key.modulus.iter().position(|&b| b != 0)?;
    let significant = key.modulus.get(first_nonzero..)?;
    let top = significant.first()?;
    let top_bits = 8 - top.leading_zeros() as usize;
    Some((significant.len() - 1) * 8 + top_bits)
}

/// The named curve in the algorithm parameters (absent for implicit or specified curves).
fn curve_oid(alg: &AlgorithmIdentifier<'_>) -> Option<String> {
    let oid: Oid<'_> = alg.parameters.as_ref()?.as_oid().ok()?;
    Some(oid.to_id_string())
}

fn curve_name(oid: &str) -> &str {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        other => other,
    }
}

/// OpenSSL's names for the usual signature algorithms (what `openssl x509 -text` prints),
/// then the OID registry's short name, then the dotted OID.
fn signature_name(alg: &AlgorithmIdentifier<'_>) -> String {
    let dotted = alg.algorithm.to_id_string();
    let known = match dotted.as_str() {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        "2.16.840.1.101.3.4.3.1" => "dsa_with_SHA224",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    match oid2sn(&alg.algorithm, oid_registry()) {
        Ok(sn) => sn.to_owned(),
        Err(_) => dotted,
    }
}

/// The serial as OpenSSL shows it (one zero byte that only keeps DER's sign bit clear is
/// dropped), lower-case, without colons; `00` for a zero serial.
fn serial_hex(raw: &[u8]) -> String {
    let significant = match raw.iter().position(|&b| b != 0) {
        Some(i) => raw.get(i..).unwrap_or_default(),
        None => &[0],
    };
    hex::encode(significant)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::IpAddr;
    use std::time::Duration as StdDuration;

    use openssl::hash::MessageDigest;
    use openssl::x509::X509;
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, SanType,
        SerialNumber,
    };
    use time::Duration;

    fn params(cn: &str, from_days: i64, to_days: i64) -> CertificateParams {
        let mut params = CertificateParams::new(vec![cn.to_owned()]).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        params.distinguished_name = dn;
        let now = OffsetDateTime::now_utc();
        params.not_before = now + Duration::days(from_days);
        params.not_after = now + Duration::days(to_days);
        params
    }

    fn self_signed_der(params: &CertificateParams, key: &KeyPair) -> Vec<u8> {
        params.self_signed(key).unwrap().der().to_vec()
    }

    /// Checks the fields OpenSSL can confirm independently.
    fn check_against_openssl(der: &[u8], facts: &CertFacts) {
        let x = X509::from_der(der).unwrap();
        let digest = x.digest(MessageDigest::sha256()).unwrap();
        assert_eq!(facts.sha256, hex::encode(digest));
        let serial = x.serial_number().to_bn().unwrap().to_hex_str().unwrap();
        assert_eq!(facts.serial, serial.to_lowercase());
        let bits = x.public_key().unwrap().bits();
        if facts.key.starts_with("RSA ") {
            assert_eq!(facts.key, format!("RSA {bits}"));
        }
    }

    #[test]
    fn ec_leaf_with_sans() {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = params("Test Root", -30, 3650);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);

        let mut leaf = params("mail.example.test", -1, 365);
        leaf.subject_alt_names = vec![
            SanType::DnsName("mail.example.test".try_into().unwrap()),
            SanType::DnsName("smtp.example.test".try_into().unwrap()),
            SanType::IpAddress(IpAddr::from([127, 0, 0, 1])),
            SanType::IpAddress("::1".parse().unwrap()),
            SanType::Rfc822Name("postmaster@example.test".try_into().unwrap()),
            SanType::URI("https://example.test/".try_into().unwrap()),
        ];
        let der = leaf.signed_by(&key, &issuer).unwrap().der().to_vec();

        let f = facts(&der, SystemTime::now()).unwrap();
        assert_eq!(f.subject, "CN=mail.example.test");
        assert_eq!(f.issuer, "CN=Test Root");
        assert_eq!(
            f.san,
            [
                "mail.example.test",
                "smtp.example.test",
                "IP:127.0.0.1",
                "IP:::1",
                "email:postmaster@example.test",
                "URI:https://example.test/",
            ]
        );
        assert_eq!(f.key, "EC P-256");
        assert_eq!(f.signature_algorithm, "ecdsa-with-SHA256");
        assert!(!f.self_issued);
        assert!(!f.is_ca);
        assert!((363..=365).contains(&f.days_left), "{}", f.days_left);
        assert!(f.not_yet_valid_secs < 0);
        assert!(f.not_before.ends_with('Z') && f.not_after.ends_with('Z'));
        check_against_openssl(&der, &f);
    }

    #[test]
    fn ca_is_ca_and_self_issued() {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let mut ca = params("Test Root", -30, 3650);
        ca.subject_alt_names.clear();
        ca.distinguished_name
            .push(DnType::OrganizationName, "Test Org");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let der = self_signed_der(&ca, &key);

        let f = facts(&der, SystemTime::now()).unwrap();
        assert!(f.is_ca);
        assert!(f.self_issued);
        assert_eq!(f.subject, f.issuer);
        assert!(f.san.is_empty());
        assert_eq!(f.key, "EC P-384");
        assert_eq!(f.signature_algorithm, "ecdsa-with-SHA384");
        check_against_openssl(&der, &f);
    }

    #[test]
    fn expired_has_negative_days_left() {
        let key = KeyPair::generate().unwrap();
        let der = self_signed_der(&params("old.example.test", -100, -10), &key);
        let f = facts(&der, SystemTime::now()).unwrap();
        // Ten days ago, give or take the seconds the test takes: floor makes it -10 or -11.
        assert!((-11..=-10).contains(&f.days_left), "{}", f.days_left);
        assert!(f.not_yet_valid_secs < 0);
        check_against_openssl(&der, &f);
    }

    #[test]
    fn not_yet_valid_has_positive_seconds() {
        let key = KeyPair::generate().unwrap();
        let der = self_signed_der(&params("future.example.test", 10, 100), &key);
        let f = facts(&der, SystemTime::now()).unwrap();
        let ten_days = 10 * SECS_PER_DAY;
        assert!(
            (ten_days - 60..=ten_days).contains(&f.not_yet_valid_secs),
            "{}",
            f.not_yet_valid_secs
        );
        assert!((98..=100).contains(&f.days_left), "{}", f.days_left);
    }

    #[test]
    fn days_left_is_floored_against_the_given_now() {
        let key = KeyPair::generate().unwrap();
        let mut p = params("fixed.example.test", 0, 0);
        p.not_before = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        p.not_after =
            OffsetDateTime::from_unix_timestamp(1_700_000_000 + 30 * SECS_PER_DAY).unwrap();
        let der = self_signed_der(&p, &key);
        let at = |secs: i64| UNIX_EPOCH + StdDuration::from_secs(secs.try_into().unwrap());

        let f = facts(&der, at(1_700_000_000)).unwrap();
        assert_eq!(f.days_left, 30);
        assert_eq!(f.not_yet_valid_secs, 0);
        assert_eq!(f.not_before, "2023-11-14T22:13:20Z");
        assert_eq!(f.not_after, "2023-12-14T22:13:20Z");

        // One second past expiry is day -1, not day 0.
        let f = facts(&der, at(1_700_000_000 + 30 * SECS_PER_DAY + 1)).unwrap();
        assert_eq!(f.days_left, -1);
        // Half a day before expiry is day 0.
        let f = facts(
            &der,
            at(1_700_000_000 + 30 * SECS_PER_DAY - SECS_PER_DAY / 2),
        )
        .unwrap();
        assert_eq!(f.days_left, 0);
        // An hour before not_before.
        let f = facts(&der, at(1_700_000_000 - 3600)).unwrap();
        assert_eq!(f.not_yet_valid_secs, 3600);
    }

    #[test]
    fn rsa_2048() {
        // ring (rcgen's backend here) cannot generate RSA keys; OpenSSL can.
        let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
        let pkey = openssl::pkey::PKey::from_rsa(rsa).unwrap();
        let pem = String::from_utf8(pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let key = KeyPair::from_pem(&pem).unwrap();
        let der = self_signed_der(&params("rsa.example.test", -1, 90), &key);

        let f = facts(&der, SystemTime::now()).unwrap();
        assert_eq!(f.key, "RSA 2048");
        assert_eq!(f.signature_algorithm, "sha256WithRSAEncryption");
        assert!(f.self_issued);
        check_against_openssl(&der, &f);
    }

    #[test]
    fn ed25519() {
        let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let der = self_signed_der(&params("ed.example.test", -1, 90), &key);
        let f = facts(&der, SystemTime::now()).unwrap();
        assert_eq!(f.key, "Ed25519");
        assert_eq!(f.signature_algorithm, "ED25519");
        check_against_openssl(&der, &f);
    }

    #[test]
    fn serial_drops_only_the_sign_byte() {
        let key = KeyPair::generate().unwrap();
        let mut p = params("serial.example.test", -1, 90);
        p.serial_number = Some(SerialNumber::from_slice(&[0x8f, 0x00, 0x0a]));
        let der = self_signed_der(&p, &key);
        let f = facts(&der, SystemTime::now()).unwrap();
        assert_eq!(f.serial, "8f000a");
        check_against_openssl(&der, &f);

        assert_eq!(serial_hex(&[0x00, 0x8f]), "8f");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }

    #[test]
    fn pem_chain_in_order_skipping_keys() {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = params("Chain Root", -30, 3650);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = params("leaf.example.test", -1, 90)
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let text = format!(
            "leaf follows\n{}{}junk between\n{}",
            leaf.pem(),
            leaf_key.serialize_pem(),
            ca_cert.pem()
        );

        let chain = facts_from_pem_chain(text.as_bytes(), SystemTime::now()).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].subject, "CN=leaf.example.test");
        assert_eq!(chain[1].subject, "CN=Chain Root");
        assert!(chain[1].is_ca);

        assert_eq!(facts_from_pem_chain(b"", SystemTime::now()), Ok(vec![]));
        let broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            facts_from_pem_chain(broken.as_bytes(), SystemTime::now()),
            Err(CertError::Pem(_))
        ));
        let unterminated = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        assert!(facts_from_pem_chain(unterminated.as_bytes(), SystemTime::now()).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let key = KeyPair::generate().unwrap();
        let der = self_signed_der(&params("trunc.example.test", -1, 90), &key);
        let now = SystemTime::now();

        assert!(matches!(facts(&[], now), Err(CertError::Parse(_))));
        for len in 0..der.len() {
            let prefix = der.get(..len).unwrap();
            assert!(facts(prefix, now).is_err(), "prefix of {len} bytes parsed");
        }
        // Flipping single bytes may or may not still parse; it must not panic.
        for i in 0..der.len() {
            let mut bent = der.clone();
            bent[i] ^= 0xff;
            let _ = facts(&bent, now);
        }
        // Deterministic pseudo-random input (xorshift), some starting like a SEQUENCE.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..2000 {
            let len = (round % 300) + 1;
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect();
            if round % 2 == 0 {
                bytes[0] = 0x30;
            }
            let _ = facts(&bytes, now);
        }
        let _ = facts_from_pem_chain(&[0xff, 0xfe, b'\n', b'-'], now);
    }

    #[test]
    fn times_before_the_epoch_do_not_overflow() {
        let key = KeyPair::generate().unwrap();
        let der = self_signed_der(&params("epoch.example.test", -1, 90), &key);
        let f = facts(
            &der,
            UNIX_EPOCH - StdDuration::from_secs(SECS_PER_DAY as u64),
        )
        .unwrap();
        assert!(f.days_left > 20_000);
        assert!(f.not_yet_valid_secs > 0);
        assert_eq!(unix_secs(UNIX_EPOCH - StdDuration::from_secs(5)), -5);
    }

    /// A certificate made with OpenSSL itself: an RSA key of `bits` and a signature with
    /// `digest`, with a SAN extension whose IP entry has 3 bytes (malformed) beside a name.
    fn openssl_cert(bits: u32, digest: MessageDigest) -> Vec<u8> {
        use openssl::asn1::Asn1Time;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        use openssl::x509::{X509Builder, X509NameBuilder};
        let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "weak.test").unwrap();
        let name = name.build();
        let mut builder = X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        builder.sign(&key, digest).unwrap();
        builder.build().to_der().unwrap()
    }

    #[test]
    fn rsa_bits_and_signature_digest_of_weak_certificates() {
        let now = SystemTime::now();
        let weak = facts(&openssl_cert(1024, MessageDigest::sha1()), now).unwrap();
        assert_eq!(weak.rsa_bits, Some(1024));
        assert_eq!(weak.signature_digest.as_deref(), Some("SHA-1"));
        assert_eq!(weak.signature_algorithm, "sha1WithRSAEncryption");
        let md5 = facts(&openssl_cert(2048, MessageDigest::md5()), now).unwrap();
        assert_eq!(md5.rsa_bits, Some(2048));
        assert_eq!(md5.signature_digest.as_deref(), Some("MD5"));
        let good = facts(&openssl_cert(2048, MessageDigest::sha256()), now).unwrap();
        assert_eq!(good.signature_digest.as_deref(), Some("SHA-256"));
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ec = facts(&self_signed_der(&params("ec.test", -1, 30), &key), now).unwrap();
        assert_eq!(ec.rsa_bits, None);
        assert_eq!(ec.signature_digest.as_deref(), Some("SHA-256"));
    }

    #[test]
    fn undecodable_san_entries_are_listed_not_dropped() {
        let mut p = params("odd.test", -1, 30);
        p.subject_alt_names = vec![
            SanType::DnsName("a.odd.test".try_into().unwrap()),
            SanType::URI("https://odd.test/".try_into().unwrap()),
            SanType::IpAddress("192.0.2.9".parse().unwrap()),
        ];
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let f = facts(&self_signed_der(&p, &key), SystemTime::now()).unwrap();
        assert_eq!(
            f.san,
            vec!["a.odd.test", "URI:https://odd.test/", "IP:192.0.2.9"]
        );
        assert_eq!(
            general_name(&GeneralName::IPAddress(&[192, 0, 2])),
            "invalid:IP \\xc0\\x00\\x02"
        );
        assert_eq!(
            general_name(&GeneralName::Invalid(
                x509_parser::asn1_rs::Tag(2),
                b"bad\xffname"
            )),
            "invalid:bad\\xffname"
        );
    }

    #[test]
    fn a_dns_name_spelled_like_another_kind_is_marked() {
        assert_eq!(
            general_name(&GeneralName::DNSName("IP:192.0.2.1")),
            "DNS:IP:192.0.2.1"
        );
        assert_eq!(
            general_name(&GeneralName::DNSName("mail.test")),
            "mail.test"
        );
        // The fuzzer's find: every `IP:` entry is an address.
        for seed in [
            "crash_dns_san_spelled_like_ip.der",
            "crash_signed_dns_san_spelled_like_ip.der",
        ] {
            let path = format!("{}/fuzz/seeds/cert/{seed}", env!("CARGO_MANIFEST_DIR"));
            let der = std::fs::read(&path).expect("the fuzzer's seed is in the repository");
            let f = facts(&der, SystemTime::now()).expect("the seed parses");
            assert!(f.san.iter().any(|s| s.starts_with("DNS:")), "{:?}", f.san);
            for san in &f.san {
                if let Some(ip) = san.strip_prefix("IP:") {
                    assert!(ip.parse::<IpAddr>().is_ok(), "{san:?}");
                }
            }
        }
    }
}
