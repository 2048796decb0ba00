//! The `--tls-ca`, `--tls-cert` and `--tls-key` files, checked before any
//! connection. TLS itself (rustls, in async-nats) refuses a bad client
//! certificate or key with "could not add certificate or key", and only once
//! it dials; an agent then retries forever with that. Checked here first,
//! each cause gets its own kind and says what to do: a version 1 certificate,
//! a key that is not the certificate's, a file with no certificate or no key
//! in it, an encrypted key.
//!
//! PEM sections are read with the `pem` crate (it keeps every label and the
//! `Proc-Type` header of old encrypted keys), certificates with `x509-parser`,
//! and keys with rustls' own ring provider, the one that signs the handshake.

use crate::i18n::tr;
use remote_message::error::{Error, ErrorKind};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use std::path::Path;
use x509_parser::prelude::{FromDer, X509Certificate, X509Version};

/// Why a TLS file cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFileKind {
    /// The file cannot be read.
    Unreadable,
    /// The file is not valid PEM, or a certificate in it does not parse.
    Malformed,
    /// `--tls-cert` or `--tls-ca` holds no certificate.
    NoCertificate,
    /// `--tls-cert` is an X.509 version 1 certificate; rustls takes version 3 only.
    Version1Certificate,
    /// `--tls-key` holds no private key.
    NoKey,
    /// `--tls-key` is encrypted with a passphrase, which nobody can type in.
    EncryptedKey,
    /// `--tls-key` is of a type TLS here cannot sign with.
    UnsupportedKey,
    /// `--tls-key` is not the private key of `--tls-cert`.
    KeyMismatch,
}

impl ErrorKind for TlsFileKind {
    fn describe(self) -> &'static str {
        match self {
            TlsFileKind::Unreadable => "a TLS file cannot be read",
            TlsFileKind::Malformed => "a TLS file is not valid PEM",
            TlsFileKind::NoCertificate => "no certificate in a TLS certificate file",
            TlsFileKind::Version1Certificate => {
                "the --tls-cert certificate is X.509 version 1; TLS takes version 3 only"
            }
            TlsFileKind::NoKey => "no private key in the --tls-key file",
            TlsFileKind::EncryptedKey => "the --tls-key private key is encrypted",
            TlsFileKind::UnsupportedKey => "the --tls-key private key is of an unsupported type",
            TlsFileKind::KeyMismatch => "--tls-key is not the private key of --tls-cert",
        }
    }
}

/// A TLS file that cannot be used; the message names the option, the
/// file, the cause and what to do.
pub type TlsFileError = Error<TlsFileKind>;

/// A TLS file to check and how errors name the option that gave it
/// (`--tls-ca`, or `NATS_CA (--tls-ca)` when the environment did).
#[derive(Debug, Clone)]
pub struct TlsFile<'a> {
    pub label: String,
    pub path: &'a Path,
}

impl<'a> TlsFile<'a> {
    pub fn new(label: impl Into<String>, path: &'a Path) -> TlsFile<'a> {
        TlsFile {
            label: label.into(),
            path,
        }
    }
}

/// Checks `--tls-ca` (certificates to trust) and the `--tls-cert` and
/// `--tls-key` pair, without connecting.
pub fn check(
    ca: Option<&TlsFile>,
    client: Option<&(TlsFile, TlsFile)>,
) -> Result<(), TlsFileError> {
    if let Some(ca) = ca {
        certificates(&ca.label, ca.path)?;
    }
    if let Some((cert, key)) = client {
        let der = certificates(&cert.label, cert.path)?.swap_remove(0);
        let certificate = parse_certificate(&cert.label, cert.path, &der)?;
        if certificate.version() == X509Version::V1 {
            return Err(TlsFileError::with_context(
                TlsFileKind::Version1Certificate,
                tr!(
                    "tls-cert-version-1",
                    flag = cert.label.as_str(),
                    path = cert.path.display().to_string(),
                    subject = certificate.subject().to_string()
                ),
            ));
        }
        let spki = certificate.public_key().raw;
        check_key(key, cert.path, spki)?;
    }
    Ok(())
}

/// The DER of every certificate in a PEM file: at least one, or an error
/// saying what the file holds instead.
fn certificates(flag: &str, path: &Path) -> Result<Vec<Vec<u8>>, TlsFileError> {
    let sections = sections(flag, path)?;
    let certificates: Vec<Vec<u8>> = sections
        .iter()
        .filter(|s| s.tag() == "CERTIFICATE")
        .map(|s| s.contents().to_vec())
        .collect();
    if certificates.is_empty() {
        return Err(TlsFileError::with_context(
            TlsFileKind::NoCertificate,
            tr!(
                "tls-no-certificate",
                flag = flag,
                path = path.display().to_string(),
                holds = holds(&sections)
            ),
        ));
    }
    for der in &certificates {
        parse_certificate(flag, path, der)?;
    }
    Ok(certificates)
}

fn parse_certificate<'a>(
    flag: &str,
    path: &Path,
    der: &'a [u8],
) -> Result<X509Certificate<'a>, TlsFileError> {
    X509Certificate::from_der(der)
        .map(|(_, certificate)| certificate)
        .map_err(|e| {
            TlsFileError::with_context(
                TlsFileKind::Malformed,
                tr!(
                    "tls-certificate-malformed",
                    flag = flag,
                    path = path.display().to_string(),
                    cause = e.to_string()
                ),
            )
        })
}

/// Checks that `key` holds one usable private key whose public key is
/// `spki`, the one in `cert`.
fn check_key(key: &TlsFile, cert: &Path, spki: &[u8]) -> Result<(), TlsFileError> {
    let sections = sections(&key.label, key.path)?;
    let error = |kind, advice: String| {
        let path = key.path.display().to_string();
        let flag = key.label.as_str();
        TlsFileError::with_context(
            kind,
            tr!("tls-key-problem", flag = flag, path = path, advice = advice),
        )
    };
    let encrypted = sections.iter().any(|s| {
        s.tag() == "ENCRYPTED PRIVATE KEY"
            || s.headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"))
    });
    if encrypted {
        return Err(error(TlsFileKind::EncryptedKey, tr!("tls-key-encrypted")));
    }
    let der = sections.iter().find_map(|s| {
        let bytes = s.contents().to_vec();
        match s.tag() {
            "PRIVATE KEY" => Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(bytes))),
            "RSA PRIVATE KEY" => Some(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(bytes))),
            "EC PRIVATE KEY" => Some(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(bytes))),
            _ => None,
        }
    });
    let Some(der) = der else {
        return Err(error(
            TlsFileKind::NoKey,
            tr!("tls-no-key", holds = holds(&sections)),
        ));
    };
    let signing = rustls::crypto::ring::sign::any_supported_type(&der).map_err(|e| {
        error(
            TlsFileKind::UnsupportedKey,
            tr!("tls-key-unsupported", cause = e.to_string()),
        )
    })?;
    // Every key type of the ring provider tells its public key.
    if signing.public_key().is_some_and(|own| own.as_ref() != spki) {
        return Err(error(
            TlsFileKind::KeyMismatch,
            tr!("tls-key-mismatch", cert = cert.display().to_string()),
        ));
    }
    Ok(())
}

/// The PEM sections of a file.
fn sections(flag: &str, path: &Path) -> Result<Vec<pem::Pem>, TlsFileError> {
    let bytes = std::fs::read(path).map_err(|e| {
        TlsFileError::with_context(
            TlsFileKind::Unreadable,
            tr!(
                "tls-file-unreadable",
                flag = flag,
                path = path.display().to_string(),
                cause = e.to_string()
            ),
        )
        .caused_by(e)
    })?;
    pem::parse_many(&bytes).map_err(|e| {
        TlsFileError::with_context(
            TlsFileKind::Malformed,
            tr!(
                "tls-not-pem",
                flag = flag,
                path = path.display().to_string(),
                cause = e.to_string()
            ),
        )
        .caused_by(e)
    })
}

/// What a file holds instead, in words: its PEM labels, or why none.
fn holds(sections: &[pem::Pem]) -> String {
    if sections.is_empty() {
        return tr!("tls-holds-nothing");
    }
    let mut labels: Vec<&str> = sections.iter().map(pem::Pem::tag).collect();
    labels.dedup();
    tr!("tls-holds", labels = labels.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair};
    use std::path::PathBuf;

    /// A temp dir with a certificate and its key, another key, and the
    /// checked-in version 1 certificate.
    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Files {
            let dir = tempfile::tempdir().unwrap();
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(vec!["client.test".to_owned()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            let files = Files { dir };
            files.write("cert.pem", &cert.pem());
            files.write("key.pem", &key.serialize_pem());
            files.write(
                "other-key.pem",
                &KeyPair::generate().unwrap().serialize_pem(),
            );
            files.write("v1-cert.pem", include_str!("../testdata/v1-cert.pem"));
            files
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            std::fs::write(self.path(name), text).unwrap();
            self.path(name)
        }

        fn client(&self, cert: &str, key: &str) -> Result<(), TlsFileError> {
            let (cert, key) = (self.path(cert), self.path(key));
            let pair = (
                TlsFile::new("--tls-cert", &cert),
                TlsFile::new("--tls-key", &key),
            );
            check(None, Some(&pair))
        }

        fn ca(&self, name: &str) -> Result<(), TlsFileError> {
            let path = self.path(name);
            check(Some(&TlsFile::new("--tls-ca", &path)), None)
        }
    }

    /// Asserts that `result` failed with `kind` and a message holding each
    /// of `words`; returns the message.
    fn refused(result: Result<(), TlsFileError>, kind: TlsFileKind, words: &[&str]) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        let text = err.to_string();
        for word in words {
            assert!(text.contains(word), "{word:?} not in {text}");
        }
        text
    }

    /// A certificate with its own key, and certificates to trust, pass;
    /// so does a version 1 CA certificate (rustls trusts those).
    #[test]
    fn a_matching_pair_and_a_ca_pass() {
        let files = Files::new();
        files.client("cert.pem", "key.pem").unwrap();
        files.ca("cert.pem").unwrap();
        files.ca("v1-cert.pem").unwrap();
        check(None, None).unwrap();
    }

    /// The version 1 certificate (made with `openssl x509 -req`, no
    /// extensions) is refused before connecting, saying how to make a
    /// version 3 one.
    #[test]
    fn a_version_1_certificate_is_named() {
        let files = Files::new();
        let text = refused(
            files.client("v1-cert.pem", "key.pem"),
            TlsFileKind::Version1Certificate,
            &["-extfile", "openssl req -x509"],
        );
        let start = format!(
            "--tls-cert {}: the certificate (CN=remote-message test v1 client) is X.509 version 1",
            files.path("v1-cert.pem").display()
        );
        assert!(text.starts_with(&start), "{text}");
    }

    /// Another certificate's key is refused, naming both files; the right
    /// one passes (above).
    #[test]
    fn a_key_that_is_not_the_certificates_is_named() {
        let files = Files::new();
        let key = format!("--tls-key {}", files.path("other-key.pem").display());
        let cert = format!("--tls-cert {}", files.path("cert.pem").display());
        refused(
            files.client("cert.pem", "other-key.pem"),
            TlsFileKind::KeyMismatch,
            &[&key, &cert, "public keys differ"],
        );
    }

    /// A key file given as the certificate, an empty file and a DER file
    /// hold no certificate: the error says what they hold instead, for
    /// `--tls-cert` and `--tls-ca` alike. A certificate given as the key
    /// holds no key, said the same way.
    #[test]
    fn a_file_without_a_certificate_or_key_says_what_it_holds() {
        let files = Files::new();
        let none = TlsFileKind::NoCertificate;
        let key_as_cert = files.client("key.pem", "key.pem");
        refused(
            key_as_cert,
            none,
            &["no certificate in it (it holds PRIVATE KEY)"],
        );
        files.write("empty.pem", "");
        let text = refused(files.ca("empty.pem"), none, &["it holds no PEM section"]);
        assert!(text.starts_with("--tls-ca "), "{text}");
        let der = pem::parse(std::fs::read(files.path("cert.pem")).unwrap()).unwrap();
        std::fs::write(files.path("cert.der"), der.contents()).unwrap();
        refused(files.ca("cert.der"), none, &["openssl x509 -inform der"]);

        let cert_as_key = files.client("cert.pem", "cert.pem");
        let words = ["no private key in it (it holds CERTIFICATE)"];
        refused(cert_as_key, TlsFileKind::NoKey, &words);
    }

    /// PKCS#8 `ENCRYPTED PRIVATE KEY` and the old `Proc-Type: 4,ENCRYPTED`
    /// form are both refused with the command that decrypts them.
    #[test]
    fn an_encrypted_key_says_how_to_decrypt_it() {
        let files = Files::new();
        let pkcs8 = pem::Pem::new("ENCRYPTED PRIVATE KEY", vec![0x30, 0x00]);
        let mut legacy = pem::Pem::new("RSA PRIVATE KEY", vec![0x30, 0x00]);
        let headers = legacy.headers_mut();
        headers.add("Proc-Type", "4,ENCRYPTED").unwrap();
        headers
            .add("DEK-Info", "AES-128-CBC,00112233445566778899AABBCCDDEEFF")
            .unwrap();
        files.write("pkcs8.pem", &pem::encode(&pkcs8));
        files.write("legacy.pem", &pem::encode(&legacy));
        for name in ["pkcs8.pem", "legacy.pem"] {
            let words = ["openssl pkey -in KEY -out KEY.plain"];
            refused(
                files.client("cert.pem", name),
                TlsFileKind::EncryptedKey,
                &words,
            );
        }
    }

    /// A missing file, broken PEM and a certificate section that is not
    /// X.509 each have their own kind.
    #[test]
    fn unreadable_and_malformed_files() {
        let files = Files::new();
        refused(
            files.ca("missing.pem"),
            TlsFileKind::Unreadable,
            &["cannot read it"],
        );
        let broken = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        files.write("broken.pem", broken);
        refused(
            files.ca("broken.pem"),
            TlsFileKind::Malformed,
            &["not a valid PEM file"],
        );
        let junk = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
        files.write("junk.pem", &junk);
        let words = ["does not parse"];
        refused(
            files.client("junk.pem", "key.pem"),
            TlsFileKind::Malformed,
            &words,
        );
    }
}
