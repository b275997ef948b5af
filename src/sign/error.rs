//! Why a key, a certificate or a signature could not be used.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that stops skelgen from signing a loader. Every variant names the file at fault
/// and says what to do, so nothing is written after one.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignError {
    /// A key or certificate file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The private key is encrypted; skelgen takes no passphrase.
    #[error(
        "{}: the private key is encrypted; skelgen reads unencrypted PEM keys only \
         (decrypt a copy: openssl pkey -in KEY -out PLAIN.pem)",
        path.display()
    )]
    EncryptedKey {
        /// The key file.
        path: PathBuf,
    },
    /// The key file holds no private key skelgen can read.
    #[error("{}: not a usable private key: {reason}", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key or certificate uses an algorithm skelgen cannot sign with.
    #[error(
        "{}: {what} is not an algorithm skelgen signs with (RSA or ECDSA P-256)",
        path.display()
    )]
    UnknownAlgorithm {
        /// The key or certificate file.
        path: PathBuf,
        /// The algorithm found, by name or object identifier.
        what: String,
    },
    /// The certificate file holds no certificate skelgen can read.
    #[error("{}: not a usable X.509 certificate: {reason}", path.display())]
    BadCert {
        /// The certificate file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The private key is not the key of the certificate.
    #[error(
        "{}: this private key does not belong to the certificate {} ({reason})",
        key.display(),
        cert.display()
    )]
    Mismatch {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
        /// How they differ.
        reason: String,
    },
    /// Signing itself failed (a key the signature scheme cannot use).
    #[error("{}: signing failed: {reason}", path.display())]
    Signing {
        /// The key file.
        path: PathBuf,
        /// The signature library's error.
        reason: String,
    },
}
