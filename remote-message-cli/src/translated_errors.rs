//! Every error this crate translates, built in each language: a test of
//! [`crate::i18n`]'s catalogue against the modules whose errors it words,
//! which come after it in the map.

use crate::connection::{ConnectionArgs, SetupErrorKind};
use crate::generate::UnknownKind;
use crate::lang::{errors_in, Lang};
use crate::tls_files::{self, TlsFileKind};
use std::path::Path;

/// The error for each case, built in `lang`: an empty `--server`, an
/// unparsable one, a missing `--tls-ca` file, an unknown `--generate`.
fn errors(lang: Lang) -> [String; 4] {
    errors_in(lang, || {
        let server = |server: &str| ConnectionArgs {
            server: server.into(),
            ..Default::default()
        };
        let empty = server(" ").server_addrs().unwrap_err();
        assert_eq!(empty.kind(), SetupErrorKind::NoServer);
        let bad = server("nats://u:s3cret@[bad").server_addrs().unwrap_err();
        assert_eq!(bad.kind(), SetupErrorKind::InvalidServer);
        let ca = tls_files::TlsFile::new("--tls-ca", Path::new("/nonexistent/ca.pem"));
        let missing = tls_files::check(Some(&ca), None).unwrap_err();
        assert_eq!(missing.kind(), TlsFileKind::Unreadable);
        let generate = UnknownKind("complete-tcsh".into());
        [
            empty.to_string(),
            bad.to_string(),
            missing.to_string(),
            generate.to_string(),
        ]
    })
}

/// Spanish and French errors are in their language, keep the flags,
/// URLs and paths as given (and hide the password), and the kinds are
/// the same; outside `errors_in` the same errors are English.
#[test]
fn errors_render_in_spanish_and_french() {
    let [empty, bad, missing, generate] = errors(Lang::Es);
    assert_eq!(
        empty,
        "--server está vacío: indique una URL de NATS como nats://127.0.0.1:4222"
    );
    assert!(
        bad.starts_with("URL de --server no válida nats://u:***@[bad: "),
        "{bad}"
    );
    assert!(bad.ends_with("o wss://host:443"), "{bad}");
    assert!(
        missing.starts_with("--tls-ca /nonexistent/ca.pem: no se puede leer (")
            && missing.ends_with("): compruebe la ruta y sus permisos"),
        "{missing}"
    );
    assert!(
        generate.starts_with("--generate \"complete-tcsh\" no es ninguno de: "),
        "{generate}"
    );

    let [empty, bad, missing, generate] = errors(Lang::Fr);
    assert_eq!(
        empty,
        "--server est vide : donnez une URL NATS comme nats://127.0.0.1:4222"
    );
    assert!(
        bad.starts_with("URL --server invalide nats://u:***@[bad : "),
        "{bad}"
    );
    assert!(
        missing.starts_with("--tls-ca /nonexistent/ca.pem : impossible de le lire (")
            && missing.ends_with(") : vérifiez le chemin et ses droits"),
        "{missing}"
    );
    assert!(
        generate.starts_with("--generate \"complete-tcsh\" n'est pas l'un de : "),
        "{generate}"
    );

    let [empty, bad, missing, _] = errors(Lang::En);
    assert_eq!(
        empty,
        "--server is empty: give a NATS URL such as nats://127.0.0.1:4222"
    );
    assert!(
        bad.starts_with("invalid --server URL nats://u:***@[bad: "),
        "{bad}"
    );
    assert!(
        missing.ends_with("check the path and its permissions"),
        "{missing}"
    );
    for text in errors(Lang::Es).iter().chain(&errors(Lang::Fr)) {
        assert!(!text.contains("s3cret"), "{text}");
    }
}
