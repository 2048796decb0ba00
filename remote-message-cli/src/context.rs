//! `nats` CLI contexts, so a NATS user's saved servers and credentials work
//! here too: `--context NAME` (or `NATS_CONTEXT`, or `context = "NAME"` in a
//! settings file) reads `<config>/nats/context/NAME.json`; with none named,
//! the context selected with `nats context select` (`<config>/nats/context.txt`)
//! is read when there is one.
//!
//! `<config>` is where the `nats` CLI (jsm.go's `natscontext`) keeps them on
//! every OS: `$XDG_CONFIG_HOME`, else `<home>/.config` — also on macOS and
//! Windows (`%USERPROFILE%\.config`), not the platform's usual config folder.
//!
//! A context sits under everything else: command line, then environment,
//! then settings file, then context, then the built-in defaults. [`layer`]
//! adds the context's values to the arguments as `--option=value` words for
//! the options that came from none of the first three, the way
//! [`crate::config`] adds a settings file's, so they are checked by the same
//! parser. Credentials are taken as a whole: when any of `--creds`,
//! `--nkey`, `--token`, `--user`, `--password` or a user in the `--server`
//! URL is given, none of the context's credentials are used (so a context's
//! user never meets a `--creds` file). Likewise `cert` and `key` go together.
//!
//! Fields we do not read are ignored (the CLI writes many, e.g.
//! `description`, `color_scheme`); those that would change what the
//! connection means if ignored silently (`socks_proxy`, `nsc`, `user_jwt`,
//! `tls_first`, `jetstream_api_prefix`, `jetstream_event_prefix`) are named
//! in one warning.

use crate::config::{self, Layered};
use crate::i18n::tr;
use clap::parser::ValueSource;
use clap::ArgMatches;
use clap::Command;
use remote_message::error::{Error, ErrorKind};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Id of the `--context` option ([`crate::connection::ConnectionArgs`]).
const CONTEXT_ID: &str = "context";

/// Ids of the options that authenticate: a context gives all or none.
const CREDENTIALS: [&str; 5] = ["user", "password", "creds", "nkey", "token"];

/// Ids of the client certificate's two halves.
const CLIENT_CERTIFICATE: [&str; 2] = ["tls_cert", "tls_key"];

/// A context file's fields that we read; every field may be missing or
/// empty (empty is what the `nats` CLI writes for "not set").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NatsContext {
    pub url: String,
    pub user: String,
    pub password: String,
    pub token: String,
    pub creds: String,
    pub nkey: String,
    pub cert: String,
    pub key: String,
    pub ca: String,
    pub inbox_prefix: String,
    pub jetstream_domain: String,
    socks_proxy: String,
    nsc: String,
    user_jwt: String,
    tls_first: bool,
    jetstream_api_prefix: String,
    jetstream_event_prefix: String,
}

/// Why a context cannot be used (the process then exits 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextErrorKind {
    /// The name is empty or holds a path (`/`, `\`, `..`).
    InvalidName,
    /// No file for that name.
    NotFound,
    /// The file exists but cannot be read.
    Unreadable,
    /// The file is not a JSON object with the context fields.
    NotJson,
}

impl ErrorKind for ContextErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ContextErrorKind::InvalidName => "invalid nats context name",
            ContextErrorKind::NotFound => "no such nats context",
            ContextErrorKind::Unreadable => "cannot read the nats context file",
            ContextErrorKind::NotJson => "the nats context file is not valid JSON",
        }
    }
}

/// A context that cannot be used; the message names the file.
pub type ContextError = Error<ContextErrorKind>;

/// Where the `nats` CLI keeps its contexts: `$XDG_CONFIG_HOME/nats`, else
/// `<home>/.config/nats`. `None` without a home directory.
pub fn root() -> Option<PathBuf> {
    let parent = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::home_dir()?.join(".config"),
    };
    Some(parent.join("nats"))
}

/// A loaded context and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub name: String,
    pub path: PathBuf,
    pub context: NatsContext,
}

/// The context named `name`, else the selected one, under `root`; `None`
/// when none is named and none is selected (or there is no `root`).
pub fn load(root: Option<&Path>, name: Option<&str>) -> Result<Option<Loaded>, ContextError> {
    let Some(root) = root else {
        return match name {
            Some(name) => Err(ContextError::with_context(
                ContextErrorKind::NotFound,
                tr!("context-no-home", name = format!("{name:?}")),
            )),
            None => Ok(None),
        };
    };
    let selected = root.join("context.txt");
    let (name, how) = match name {
        Some(name) => (name.to_owned(), String::new()),
        None => match std::fs::read_to_string(&selected) {
            Ok(text) if !text.trim().is_empty() => (
                text.trim().to_owned(),
                tr!("context-selected-in", file = selected.display().to_string()),
            ),
            _ => return Ok(None),
        },
    };
    if name.is_empty()
        || name.contains(['/', '\\'])
        || name.contains("..")
        || name.chars().any(char::is_control)
    {
        return Err(ContextError::with_context(
            ContextErrorKind::InvalidName,
            tr!(
                "context-invalid-name",
                name = format!("{name:?}"),
                how = how.as_str()
            ),
        ));
    }
    let path = root.join("context").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let (kind, what) = if e.kind() == std::io::ErrorKind::NotFound {
            (ContextErrorKind::NotFound, tr!("context-no-file"))
        } else {
            (
                ContextErrorKind::Unreadable,
                tr!("context-unreadable", cause = e.to_string()),
            )
        };
        ContextError::with_context(
            kind,
            tr!(
                "context-file-problem",
                name = format!("{name:?}"),
                how = how.as_str(),
                path = path.display().to_string(),
                what = what
            ),
        )
        .caused_by(e)
    })?;
    let context: NatsContext = serde_json::from_str(&text).map_err(|e| {
        ContextError::with_context(
            ContextErrorKind::NotJson,
            tr!(
                "context-not-json",
                name = format!("{name:?}"),
                how = how.as_str(),
                path = path.display().to_string(),
                cause = e.to_string(),
                bare = name.as_str()
            ),
        )
        .caused_by(e)
    })?;
    Ok(Some(Loaded {
        name,
        path,
        context,
    }))
}

impl NatsContext {
    /// The fields set that we cannot honour, by their JSON names.
    pub fn unsupported(&self) -> Vec<&'static str> {
        [
            ("socks_proxy", !self.socks_proxy.is_empty()),
            ("nsc", !self.nsc.is_empty()),
            ("user_jwt", !self.user_jwt.is_empty()),
            ("tls_first", self.tls_first),
            (
                "jetstream_api_prefix",
                !self.jetstream_api_prefix.is_empty(),
            ),
            (
                "jetstream_event_prefix",
                !self.jetstream_event_prefix.is_empty(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Whether it holds a password or token (a file others must not read).
    pub fn has_secret(&self) -> bool {
        !self.password.is_empty() || !self.token.is_empty()
    }

    /// (option id, value) pairs, in groups taken whole: the server; the
    /// credentials; the client certificate; the CA; the inbox prefix; the
    /// JetStream domain. File paths have a leading `~` expanded, as the
    /// `nats` CLI does.
    fn groups(&self) -> Vec<Vec<(&'static str, String)>> {
        let path = |p: &str| expand_home(p);
        let mut credentials = vec![
            ("user", self.user.clone()),
            ("password", self.password.clone()),
            ("creds", path(&self.creds)),
            ("nkey", path(&self.nkey)),
            ("token", self.token.clone()),
        ];
        // A password alone (no user) means nothing to the server.
        if self.user.is_empty() {
            credentials.retain(|(id, _)| *id != "password");
        }
        vec![
            vec![("server", self.url.clone())],
            credentials,
            vec![("tls_cert", path(&self.cert)), ("tls_key", path(&self.key))],
            vec![("tls_ca", path(&self.ca))],
            vec![("inbox_prefix", self.inbox_prefix.clone())],
            vec![("js_domain", self.jetstream_domain.clone())],
        ]
        .into_iter()
        .map(|group| group.into_iter().filter(|(_, v)| !v.is_empty()).collect())
        .collect()
    }
}

/// `~/x` → `<home>/x`; anything else as it is.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix('~'), dirs::home_dir()) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            format!("{}{rest}", home.display())
        }
        _ => path.to_owned(),
    }
}

/// Whether a lower layer's value for option `id` (a context's, the
/// system-wide settings') would mix with what a layer above gave: any
/// credential given above takes the place of all of them (a user in the
/// `--server` URL too), either half of the client certificate of both, and
/// any other option of itself.
pub(crate) fn shadowed(matches: &ArgMatches, id: &str) -> bool {
    let given = |id: &str| {
        matches!(
            config::source(matches, id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let url_user = || {
        given("server")
            && config::string(matches, "server").is_some_and(|server| {
                crate::connection::ConnectionArgs {
                    server,
                    ..Default::default()
                }
                .has_url_secret()
            })
    };
    let whole: &[&str] = if CREDENTIALS.contains(&id) {
        &CREDENTIALS
    } else if CLIENT_CERTIFICATE.contains(&id) {
        &CLIENT_CERTIFICATE
    } else {
        std::slice::from_ref(&id)
    };
    whole.iter().any(|id| given(id)) || (CREDENTIALS.contains(&id) && url_user())
}

/// Adds the context's values to `layered` for the connection options that
/// neither the command line, the environment nor the settings file gave.
/// `root` is [`root`] (a parameter for the tests).
pub fn layer(
    command: &mut Command,
    mut layered: Layered,
    root: Option<&Path>,
) -> Result<Layered, ContextError> {
    let Some(matches) = layered.take_matches_to_layer(command) else {
        return Ok(layered);
    };
    let name = config::string(&matches, CONTEXT_ID);
    let Some(loaded) = load(root, name.as_deref())? else {
        layered.matches = Some(matches);
        return Ok(layered);
    };
    let mut words: Vec<OsString> = Vec::new();
    let mut keys = Vec::new();
    for group in loaded.context.groups() {
        let taken = group.iter().any(|(id, _)| shadowed(&matches, id));
        if taken {
            continue;
        }
        for (id, value) in group {
            let long = long_name(command, id);
            words.push(format!("--{long}={value}").into());
            keys.push(long);
        }
    }
    let unsupported = loaded.context.unsupported();
    if !unsupported.is_empty() {
        crate::logging::defer(crate::logging::Early::ContextUnsupported(format!(
            "nats context {:?} ({}) sets {}, which this program does not support: they are \
             ignored, and the connection may not be what the context means",
            loaded.name,
            loaded.path.display(),
            unsupported.join(", ")
        )));
    }
    let start = 1.min(layered.argv.len());
    layered.argv.splice(start..start, words);
    layered.context_keys = keys;
    layered.context_secret = loaded.context.has_secret();
    layered.context = Some(loaded.path);
    layered.forget_matches();
    Ok(layered)
}

/// The long name of option `id` (ids are the field names, e.g. `tls_ca`
/// is `--tls-ca`).
fn long_name(command: &Command, id: &str) -> String {
    command
        .get_arguments()
        .find(|arg| arg.get_id() == id)
        .and_then(|arg| arg.get_long())
        .map_or_else(|| id.replace('_', "-"), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    /// The shape `nats context save` writes (jsm.go's natscontext), with
    /// its many fields we ignore.
    fn cli_file(url: &str, user: &str, password: &str) -> String {
        format!(
            r#"{{
  "description": "test",
  "url": "{url}",
  "socks_proxy": "",
  "token": "",
  "user": "{user}",
  "password": "{password}",
  "creds": "",
  "nkey": "",
  "cert": "",
  "key": "",
  "ca": "",
  "nsc": "",
  "jetstream_domain": "leaf",
  "jetstream_api_prefix": "",
  "jetstream_event_prefix": "",
  "inbox_prefix": "",
  "user_jwt": "",
  "color_scheme": "",
  "tls_first": false,
  "windows_cert_store": ""
}}"#
        )
    }

    fn write(root: &Path, name: &str, text: &str) {
        let dir = root.join("context");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
    }

    /// A named context is read from `context/NAME.json`; with none named
    /// the one in `context.txt` is; with neither, there is none.
    #[test]
    fn named_then_selected_then_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a", &cli_file("nats://a:1", "ua", "pa"));
        write(root, "b", &cli_file("nats://b:2", "", ""));
        assert_eq!(load(Some(root), None).unwrap(), None);
        std::fs::write(root.join("context.txt"), "b\n").unwrap();
        let selected = load(Some(root), None).unwrap().unwrap();
        assert_eq!(
            (selected.name.as_str(), selected.context.url.as_str()),
            ("b", "nats://b:2")
        );
        let named = load(Some(root), Some("a")).unwrap().unwrap();
        assert_eq!(named.path, root.join("context").join("a.json"));
        assert_eq!(
            (named.context.user.as_str(), named.context.password.as_str()),
            ("ua", "pa")
        );
        assert_eq!(named.context.jetstream_domain, "leaf");
        assert!(named.context.unsupported().is_empty());
        assert_eq!(load(None, None).unwrap(), None);
    }

    /// A missing, unparsable or path-like name is an error of its own kind
    /// naming the file; a selected context that is gone says where it was
    /// selected.
    #[test]
    fn bad_contexts_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let err = load(Some(root), Some("nope")).unwrap_err();
        assert_eq!(err.kind(), ContextErrorKind::NotFound);
        assert!(
            err.to_string()
                .contains(&root.join("context").join("nope.json").display().to_string()),
            "{err}"
        );
        write(root, "broken", "{ \"url\": ");
        let err = load(Some(root), Some("broken")).unwrap_err();
        assert_eq!(err.kind(), ContextErrorKind::NotJson);
        assert!(err.to_string().contains("broken.json"), "{err}");
        for bad in ["../x", "a/b", "a\\b", ""] {
            let err = load(Some(root), Some(bad)).unwrap_err();
            assert_eq!(err.kind(), ContextErrorKind::InvalidName, "{bad:?}");
        }
        std::fs::write(root.join("context.txt"), "gone").unwrap();
        let err = load(Some(root), None).unwrap_err();
        assert_eq!(err.kind(), ContextErrorKind::NotFound);
        assert!(err.to_string().contains("context.txt"), "{err}");
        assert_eq!(
            load(None, Some("x")).unwrap_err().kind(),
            ContextErrorKind::NotFound
        );
    }

    /// Fields that change the connection's meaning are listed; unknown
    /// ones are ignored; a password or token is a secret.
    #[test]
    fn unsupported_fields_are_named() {
        let context: NatsContext = serde_json::from_str(
            r#"{"socks_proxy":"s:1","tls_first":true,"user_jwt":"","nsc":"nsc://o/a/u","new_field":[1]}"#,
        )
        .unwrap();
        assert_eq!(context.unsupported(), ["socks_proxy", "nsc", "tls_first"]);
        assert!(!context.has_secret());
        let token: NatsContext = serde_json::from_str(r#"{"token":"t"}"#).unwrap();
        assert!(token.has_secret());
    }

    /// A leading `~` is the home directory; one elsewhere is not.
    #[test]
    fn a_leading_tilde_is_home() {
        let home = dirs::home_dir().unwrap();
        assert_eq!(
            expand_home("~/x.creds"),
            format!("{}/x.creds", home.display())
        );
        assert_eq!(expand_home("/a/~/b"), "/a/~/b");
        assert_eq!(expand_home("~user/x"), "~user/x");
    }

    #[derive(Debug, Parser)]
    #[command(name = "toy")]
    struct Toy {
        #[command(flatten)]
        connection: crate::connection::ConnectionArgs,
        #[command(flatten)]
        config: crate::config::ConfigArgs,
    }

    fn layered(root: &Path, args: &[&str], settings: Option<&str>) -> Result<Toy, ContextError> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), settings.unwrap_or("")).unwrap();
        let mut argv: Vec<OsString> = vec!["toy".into(), "--config".into(), file.path().into()];
        argv.extend(args.iter().map(OsString::from));
        let mut command = Toy::command();
        let base = config::layer(&mut command, argv, &[]).unwrap();
        let mut out = layer(&mut command, base, Some(root))?;
        Ok(out.parse(Toy::command()).unwrap())
    }

    /// Command line, then settings file, then context, then defaults: the
    /// context fills only what nobody gave, and its credentials are
    /// dropped whole when any credential is given.
    #[test]
    fn the_context_sits_under_the_command_line_and_the_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "c", &cli_file("nats://ctx:1", "cu", "cp"));
        let only = layered(root, &["--context", "c"], None).unwrap().connection;
        assert_eq!(only.server, "nats://ctx:1");
        assert_eq!(
            (only.user.as_deref(), only.password.as_deref()),
            (Some("cu"), Some("cp"))
        );
        assert_eq!(only.js_domain.as_deref(), Some("leaf"));
        let cli = layered(root, &["--context", "c", "--server", "nats://cli:2"], None)
            .unwrap()
            .connection;
        assert_eq!(cli.server, "nats://cli:2");
        assert_eq!(
            cli.user.as_deref(),
            Some("cu"),
            "the rest still comes from the context"
        );
        let file = layered(
            root,
            &[],
            Some("context = \"c\"\nserver = \"nats://file:3\"\n"),
        )
        .unwrap()
        .connection;
        assert_eq!(file.server, "nats://file:3");
        assert_eq!(file.user.as_deref(), Some("cu"));
        let token = layered(root, &["--context", "c", "--token", "t"], None)
            .unwrap()
            .connection;
        assert_eq!((token.user, token.password), (None, None));
        let in_url = layered(
            root,
            &["--context", "c", "--server", "nats://u:p@h:1"],
            None,
        )
        .unwrap()
        .connection;
        assert_eq!((in_url.user, in_url.password), (None, None));
        let none = layered(root, &[], None).unwrap().connection;
        assert_eq!(none.server, crate::connection::DEFAULT_SERVER);
        assert_eq!(none.user, None);
        let missing = layered(root, &["--context", "x"], None).unwrap_err();
        assert_eq!(missing.kind(), ContextErrorKind::NotFound);
    }
}
