//! The signature's shape: a detached CMS SignedData in DER, as `bpftool gen skeleton -S`
//! makes it and the kernel's PKCS#7 parser takes it: one SHA-256 signer named by its subject
//! key identifier, no signed attributes, no certificates.

use super::key::PrivateKey;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Encode};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use x509_cert::ext::pkix::SubjectKeyIdentifier;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// The raw signature of `content` by `key`: PKCS#1 v1.5 over SHA-256 for RSA, a DER
/// ECDSA-Sig-Value over SHA-256 (RFC 6979 nonce) for P-256.
fn raw_signature(key: &PrivateKey, content: &[u8]) -> Result<Vec<u8>, String> {
    match key {
        PrivateKey::Rsa(private) => {
            use rsa::signature::Signer;
            let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new((**private).clone());
            let sig: rsa::pkcs1v15::Signature =
                signer.try_sign(content).map_err(|e| e.to_string())?;
            Ok(Box::<[u8]>::from(sig).into_vec())
        }
        PrivateKey::P256(secret) => {
            use p256::ecdsa::signature::Signer;
            let signer = p256::ecdsa::SigningKey::from(secret);
            let sig: p256::ecdsa::Signature =
                signer.try_sign(content).map_err(|e| e.to_string())?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
    }
}

fn algorithm(oid: ObjectIdentifier, null_parameters: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null_parameters.then(|| Any::from(der::asn1::Null)),
    }
}

/// The detached CMS SignedData (DER) of `content`, signed by `key` and naming the signer by
/// `key_id`.
pub(super) fn sign_detached(
    key: &PrivateKey,
    key_id: &[u8],
    content: &[u8],
) -> Result<Vec<u8>, String> {
    let e = |err: der::Error| err.to_string();
    // As OpenSSL writes them: SHA-256 without parameters, rsaEncryption with NULL ones,
    // ecdsa-with-SHA256 without.
    let digest = algorithm(ID_SHA256, false);
    let signature_algorithm = match key {
        PrivateKey::Rsa(_) => algorithm(RSA_ENCRYPTION, true),
        PrivateKey::P256(_) => algorithm(ECDSA_WITH_SHA256, false),
    };
    let signer = SignerInfo {
        version: CmsVersion::V3,
        sid: SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
            OctetString::new(key_id).map_err(e)?,
        )),
        digest_alg: digest.clone(),
        signed_attrs: None,
        signature_algorithm,
        signature: OctetString::new(raw_signature(key, content)?).map_err(e)?,
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![digest]).map_err(e)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: None,
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).map_err(e)?),
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(e)?,
    };
    info.to_der().map_err(e)
}
