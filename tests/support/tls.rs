//! Certificates made at test time: a CA, a server certificate for
//! 127.0.0.1/localhost, a client certificate, and an unrelated CA for the
//! "wrong CA" case. Written as PEM files into a temp dir.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};

pub struct TestPki {
    pub dir: tempfile::TempDir,
}

impl TestPki {
    pub fn new() -> TestPki {
        let dir = tempfile::tempdir().expect("pki dir");
        let (ca_cert, ca_key) = ca("remote-message test CA");
        write(dir.path(), "ca.pem", &ca_cert.pem());
        let issuer = Issuer::new(ca_params("remote-message test CA"), ca_key);
        leaf(dir.path(), "server", &["127.0.0.1", "localhost"], &issuer);
        leaf(
            dir.path(),
            "client",
            &["client.remote-message.test"],
            &issuer,
        );
        let (other, _) = ca("some other CA");
        write(dir.path(), "other-ca.pem", &other.pem());
        TestPki { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What a client of a server that verifies clients is given: the CA's,
    /// the client certificate's and its key's PEM files, as paths.
    pub fn client_files(&self) -> [String; 3] {
        ["ca.pem", "client.pem", "client-key.pem"].map(|name| {
            let path = self.path(name);
            path.to_str().expect("a UTF-8 temp path").to_owned()
        })
    }

    /// A nats-server config requiring TLS (and client certificates when
    /// `verify_clients`), written next to the certificates.
    pub fn server_config(&self, verify_clients: bool) -> PathBuf {
        let config = format!(
            "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  ca_file: \"{}\"\n  verify: {verify_clients}\n}}\n",
            self.path("server.pem").display(),
            self.path("server-key.pem").display(),
            self.path("ca.pem").display(),
        );
        let path = self.path(if verify_clients {
            "mtls.conf"
        } else {
            "tls.conf"
        });
        std::fs::write(&path, config).expect("write tls config");
        path
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("ca key");
    let cert = ca_params(name).self_signed(&key).expect("ca cert");
    (cert, key)
}

fn leaf(dir: &Path, name: &str, names: &[&str], issuer: &Issuer<'_, KeyPair>) {
    let key = KeyPair::generate().expect("leaf key");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.signed_by(&key, issuer).expect("leaf cert");
    write(dir, &format!("{name}.pem"), &cert.pem());
    write(dir, &format!("{name}-key.pem"), &key.serialize_pem());
}

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).expect("write pem");
}
