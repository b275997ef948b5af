//! Reading the signer: a PEM private key (RSA or ECDSA P-256) and its X.509 certificate, PEM
//! or DER, checked to belong together.

use super::SignError;
use der::{Decode, Encode};
use p256::pkcs8::DecodePublicKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use spki::ObjectIdentifier;
use std::path::Path;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// A private key skelgen can sign with.
#[derive(Clone)]
pub(super) enum PrivateKey {
    /// RSA, signed with PKCS#1 v1.5 (deterministic).
    Rsa(Box<rsa::RsaPrivateKey>),
    /// ECDSA over P-256, with RFC 6979 deterministic nonces.
    P256(p256::SecretKey),
}

impl PrivateKey {
    /// The algorithm's name, for messages and summaries.
    pub(super) fn algorithm(&self) -> &'static str {
        match self {
            PrivateKey::Rsa(_) => "RSA",
            PrivateKey::P256(_) => "ECDSA P-256",
        }
    }
}

/// The certificate facts a signature needs.
#[derive(Debug, Clone)]
pub(super) struct CertInfo {
    /// The subject, RFC 4514 style.
    pub subject: String,
    /// The subject key identifier: how the signature names its signer.
    pub key_id: Vec<u8>,
    /// The serial number, big-endian.
    pub serial: Vec<u8>,
    /// The certificate's public key, DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// The public key's algorithm.
    pub algorithm: ObjectIdentifier,
}

fn read(path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|source| SignError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The `(label, DER)` of every PEM block in `text`, in order.
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let label_end = block[11..]
            .find("-----")
            .ok_or("an unterminated BEGIN line")?
            + 11;
        let end_marker = format!("-----END {}-----", &block[11..label_end]);
        let end = block
            .find(&end_marker)
            .ok_or_else(|| format!("no {end_marker} line"))?
            + end_marker.len();
        let (label, der) =
            der::pem::decode_vec(&block.as_bytes()[..end]).map_err(|e| e.to_string())?;
        blocks.push((label.to_string(), der));
        rest = &block[end..];
    }
    Ok(blocks)
}

/// Reads the PEM private key at `path`: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or
/// SEC1 (`EC PRIVATE KEY`).
pub(super) fn read_key(path: &Path) -> Result<PrivateKey, SignError> {
    let bad = |reason: String| SignError::BadKey {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = read(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not a PEM file (text)".into()))?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(SignError::EncryptedKey {
            path: path.to_path_buf(),
        });
    }
    let blocks = pem_blocks(text).map_err(|e| bad(format!("bad PEM: {e}")))?;
    let mut keys = blocks
        .iter()
        .filter(|(label, _)| label.ends_with("PRIVATE KEY"));
    let Some((label, der)) = keys.next() else {
        return Err(bad("no PEM PRIVATE KEY block".into()));
    };
    if keys.next().is_some() {
        return Err(bad("more than one private key".into()));
    }
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => Err(SignError::EncryptedKey {
            path: path.to_path_buf(),
        }),
        "PRIVATE KEY" => read_pkcs8(path, der),
        "RSA PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| bad(format!("bad PKCS#1 RSA key: {e}"))),
        "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(der)
            .map(PrivateKey::P256)
            .map_err(|_| SignError::UnknownAlgorithm {
                path: path.to_path_buf(),
                what: "an EC key on a curve other than P-256 (or a damaged one)".into(),
            }),
        other => Err(SignError::UnknownAlgorithm {
            path: path.to_path_buf(),
            what: format!("a PEM {other:?}"),
        }),
    }
}

fn read_pkcs8(path: &Path, der: &[u8]) -> Result<PrivateKey, SignError> {
    let bad = |reason: String| SignError::BadKey {
        path: path.to_path_buf(),
        reason,
    };
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|e| bad(format!("bad PKCS#8 key: {e}")))?;
    let oid = info.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        return rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| bad(format!("bad RSA key: {e}")));
    }
    let curve = info.algorithm.parameters_oid().ok();
    if oid == EC_PUBLIC_KEY && curve == Some(SECP256R1) {
        return p256::SecretKey::from_pkcs8_der(der)
            .map(PrivateKey::P256)
            .map_err(|e| bad(format!("bad P-256 key: {e}")));
    }
    Err(SignError::UnknownAlgorithm {
        path: path.to_path_buf(),
        what: match curve {
            Some(curve) if oid == EC_PUBLIC_KEY => format!("an EC key on curve {curve}"),
            _ => format!("a key of algorithm {oid}"),
        },
    })
}

/// Reads the certificate at `path`, PEM (`CERTIFICATE`) or DER.
pub(super) fn read_cert(path: &Path) -> Result<CertInfo, SignError> {
    let bad = |reason: String| SignError::BadCert {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = read(path)?;
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN ") => {
            let blocks = pem_blocks(text).map_err(|e| bad(format!("bad PEM: {e}")))?;
            let mut certs = blocks
                .into_iter()
                .filter(|(label, _)| label == "CERTIFICATE");
            let (_, der) = certs
                .next()
                .ok_or_else(|| bad("no PEM CERTIFICATE block".into()))?;
            der
        }
        _ => bytes,
    };
    let cert = Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    let spki = tbs
        .subject_public_key_info
        .to_der()
        .map_err(|e| bad(e.to_string()))?;
    let ext = tbs
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == SUBJECT_KEY_ID)
        .ok_or_else(|| {
            bad(
                "it has no subject key identifier, which names the signer to the kernel \
                 (make it with: openssl req -x509 ... -addext subjectKeyIdentifier=hash)"
                    .into(),
            )
        })?;
    let key_id = SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes())
        .map_err(|e| bad(format!("bad subject key identifier: {e}")))?;
    Ok(CertInfo {
        subject: tbs.subject.to_string(),
        key_id: key_id.0.as_bytes().to_vec(),
        serial: tbs.serial_number.as_bytes().to_vec(),
        spki,
        algorithm: tbs.subject_public_key_info.algorithm.oid,
    })
}

/// Checks that `key` is the private half of the certificate's public key.
pub(super) fn check_pair(
    key: &PrivateKey,
    key_path: &Path,
    cert: &CertInfo,
    cert_path: &Path,
) -> Result<(), SignError> {
    let mismatch = |reason: &str| SignError::Mismatch {
        key: key_path.to_path_buf(),
        cert: cert_path.to_path_buf(),
        reason: reason.to_string(),
    };
    let unknown = || SignError::UnknownAlgorithm {
        path: cert_path.to_path_buf(),
        what: format!("a certificate key of algorithm {}", cert.algorithm),
    };
    let same = match key {
        PrivateKey::Rsa(private) => {
            if cert.algorithm != RSA_ENCRYPTION {
                return Err(mismatch("an RSA key, a certificate of another algorithm"));
            }
            let public =
                rsa::RsaPublicKey::from_public_key_der(&cert.spki).map_err(|_| unknown())?;
            public == private.to_public_key()
        }
        PrivateKey::P256(private) => {
            if cert.algorithm != EC_PUBLIC_KEY {
                return Err(mismatch("a P-256 key, a certificate of another algorithm"));
            }
            let public = p256::PublicKey::from_public_key_der(&cert.spki).map_err(|_| unknown())?;
            public == private.public_key()
        }
    };
    if same {
        Ok(())
    } else {
        Err(mismatch("their public keys differ"))
    }
}
