//! Signing the loader program for the kernel's signed `BPF_PROG_LOAD` (Linux 6.18 and later).
//!
//! Two kernel schemes sign different content, and one skeleton carries a signature for each
//! (`docs/signing.md`):
//!
//! - [`Scheme::InsnsOnly`] (Linux 6.18 to 7.2): the signature covers the loader's
//!   instructions; the loader itself compares the kernel's hash of its frozen, exclusive
//!   metadata map with the blob hash compiled into those instructions.
//! - [`Scheme::WithMetadata`] (Linux 7.3 and later): the kernel verifies the signature over the
//!   instructions followed by the frozen value of the metadata map.
//!
//! A signature is a detached CMS SignedData (DER): SHA-256, no signed attributes, no
//! certificates, the signer named by its certificate's subject key identifier.

mod cms;
mod error;
mod key;

#[cfg(test)]
mod tests;

pub use error::SignError;

pub use crate::loader::signed::{hex, metadata_hash, sha256, LoaderSignatures, Scheme, SignerId};
use std::path::{Path, PathBuf};

/// A private key and its certificate, read and checked to belong together.
#[derive(Clone)]
pub struct Signer {
    key: key::PrivateKey,
    key_path: PathBuf,
    cert: key::CertInfo,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of debug output.
        f.debug_struct("Signer")
            .field("key_path", &self.key_path)
            .field("algorithm", &self.key.algorithm())
            .field("subject", &self.cert.subject)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads the PEM private key at `key` (RSA or ECDSA P-256; PKCS#8, PKCS#1 or SEC1) and the
    /// certificate at `cert` (PEM or DER).
    ///
    /// # Errors
    /// When a file cannot be read, the key is encrypted or of another algorithm, the
    /// certificate has no subject key identifier, or the key is not the certificate's; the
    /// error names the file.
    pub fn from_files(key: &Path, cert: &Path) -> Result<Signer, SignError> {
        let private = key::read_key(key)?;
        let info = key::read_cert(cert)?;
        key::check_pair(&private, key, &info, cert)?;
        Ok(Signer {
            key: private,
            key_path: key.to_path_buf(),
            cert: info,
        })
    }

    /// The certificate's subject, RFC 4514 style (`CN=...`).
    pub fn subject(&self) -> &str {
        &self.cert.subject
    }

    /// The certificate's subject key identifier, which names the signer in each signature.
    pub fn key_id(&self) -> &[u8] {
        &self.cert.key_id
    }

    /// The certificate as summaries, plans and skeletons name it.
    pub fn id(&self) -> SignerId {
        SignerId {
            subject: self.cert.subject.clone(),
            key_id: self.cert.key_id.clone(),
            serial: self.cert.serial.clone(),
            algorithm: self.key.algorithm().to_string(),
        }
    }

    /// The key's algorithm: `RSA` or `ECDSA P-256`.
    pub fn algorithm(&self) -> &'static str {
        self.key.algorithm()
    }

    /// The detached CMS signature (DER) of `content`.
    ///
    /// # Errors
    /// When the key cannot sign (an RSA key too small for a SHA-256 DigestInfo).
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, SignError> {
        cms::sign_detached(&self.key, &self.cert.key_id, content).map_err(|reason| {
            SignError::Signing {
                path: self.key_path.clone(),
                reason,
            }
        })
    }

    /// Both schemes' signatures of the loader `insns` with the metadata `data`, and the hashes
    /// the runtime and the loader rely on.
    ///
    /// # Errors
    /// As [`Signer::sign`].
    pub fn sign_loader(&self, insns: &[u8], data: &[u8]) -> Result<LoaderSignatures, SignError> {
        Ok(LoaderSignatures {
            signer: self.id(),
            excl_prog_hash: sha256(insns),
            metadata_hash: metadata_hash(data),
            insns_only: self.sign(&Scheme::InsnsOnly.content(insns, data))?,
            with_metadata: self.sign(&Scheme::WithMetadata.content(insns, data))?,
        })
    }
}
