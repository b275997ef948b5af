//! The loader a run compiles, signed when `--sign-key` and `--sign-cert` say so, and the
//! files `--emit signature` writes.

use crate::loader::signed::Scheme;
use crate::loader::{self, Blob};
use crate::{Error, ObjectSpec, Options};

/// The loader of `spec`: unsigned, or, with `--sign-key` and `--sign-cert`, the signed
/// loader with both schemes' signatures.
///
/// # Errors
/// When the loader cannot be compiled, only one of the two signing options is given, the key
/// or certificate cannot be used (the error names the file), or this build has no signing.
pub(crate) fn compile_loader(
    spec: &ObjectSpec,
    source: &str,
    options: &Options,
) -> Result<Blob, Error> {
    let compile_error = |e| Error::Compile {
        object: source.to_string(),
        source: e,
    };
    if !options.signs() {
        return loader::compile(spec).map_err(compile_error);
    }
    let (Some(key), Some(cert)) = (&options.sign_key, &options.sign_cert) else {
        let (option, missing) = match options.sign_key {
            Some(_) => ("--sign-key", "--sign-cert"),
            None => ("--sign-cert", "--sign-key"),
        };
        return Err(Error::BadOption {
            option,
            reason: format!("signing needs {missing} too"),
        });
    };
    sign(spec, key, cert, compile_error)
}

#[cfg(feature = "sign")]
fn sign(
    spec: &ObjectSpec,
    key: &std::path::Path,
    cert: &std::path::Path,
    compile_error: impl Fn(loader::CompileError) -> Error,
) -> Result<Blob, Error> {
    // The key first: a wrong key is the likelier mistake, and costs no compile.
    let signer = crate::sign::Signer::from_files(key, cert)?;
    let mut blob = loader::compile_signed(spec).map_err(compile_error)?;
    blob.signatures = Some(signer.sign_loader(&blob.insns, &blob.data)?);
    Ok(blob)
}

#[cfg(not(feature = "sign"))]
fn sign(
    _spec: &ObjectSpec,
    _key: &std::path::Path,
    _cert: &std::path::Path,
    _compile_error: impl Fn(loader::CompileError) -> Error,
) -> Result<Blob, Error> {
    Err(Error::BadOption {
        option: "--sign-key",
        reason: "this skelgen was built without signing (cargo feature `sign`)".into(),
    })
}

/// One file `--emit signature` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFile {
    /// The scheme whose signature or signed content it holds.
    pub scheme: Scheme,
    /// Its name in the `-o` directory: `NAME.SCHEME.sig` (the DER signature) or
    /// `NAME.SCHEME.signed` (the bytes it signs).
    pub file_name: String,
    /// Its contents.
    pub contents: Vec<u8>,
}

/// Per scheme (`insns_only`, then `with_metadata`): `NAME.SCHEME.sig`, the detached CMS
/// signature in DER, and `NAME.SCHEME.signed`, the bytes it signs, so that
/// `openssl cms -verify -binary -inform DER -in NAME.SCHEME.sig -content NAME.SCHEME.signed`
/// checks it.
///
/// # Errors
/// As [`crate::generate`]; and when `--sign-key` and `--sign-cert` are not given.
pub fn generate_signatures(
    data: &[u8],
    source: &str,
    options: &Options,
) -> Result<Vec<SignatureFile>, Error> {
    if !options.signs() {
        return Err(Error::BadOption {
            option: "--emit",
            reason: "signature needs --sign-key and --sign-cert".into(),
        });
    }
    let spec = crate::parse_object_with(data, source, options)?;
    let blob = compile_loader(&spec, source, options)?;
    let Some(sigs) = &blob.signatures else {
        return Err(Error::BadOption {
            option: "--emit",
            reason: "signature: the loader was not signed".into(),
        });
    };
    let mut files = Vec::new();
    for scheme in [Scheme::InsnsOnly, Scheme::WithMetadata] {
        let base = format!("{}.{}", spec.name, scheme.as_str());
        crate::options::check_file_name(&base).map_err(|reason| Error::BadOption {
            option: "--name",
            reason,
        })?;
        files.push(SignatureFile {
            scheme,
            file_name: format!("{base}.sig"),
            contents: sigs.for_scheme(scheme).to_vec(),
        });
        files.push(SignatureFile {
            scheme,
            file_name: format!("{base}.signed"),
            contents: scheme.content(&blob.insns, &blob.data),
        });
    }
    Ok(files)
}
