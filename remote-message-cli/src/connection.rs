//! NATS connection options, defined once for both binaries and named like the
//! `nats` CLI's, plus error text that says what to do and never shows a secret.

use crate::creds::{self, CredsIdentity, Holder};
use crate::creds_check::{self, Cause, CauseKind};
use crate::i18n::tr;
use crate::tls_files::{self, TlsFile, TlsFileKind};
use async_nats::{ConnectError, ConnectErrorKind, ConnectOptions, RequestErrorKind, ServerAddr};
use remote_message::error::{Error, ErrorKind};
use remote_message::keys::{self, SeedErrorKind, SeedKind};
use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Server used when neither `--server` nor `NATS_URL` is given.
pub const DEFAULT_SERVER: &str = "nats://127.0.0.1:4222";

/// How long connecting may take when `--timeout` is not given.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Options for reaching and authenticating to NATS.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// NATS server URLs, comma-separated: nats://, tls://, ws:// or wss:// (WebSocket,
    /// wss:// with TLS); user and password may be given in the URL (e.g.
    /// nats://user:pass@host:4222)
    #[arg(
        short = 's',
        long = "server",
        env = "NATS_URL",
        hide_env_values = true,
        default_value = DEFAULT_SERVER,
        value_name = "URLS",
        global = true
    )]
    pub server: String,

    /// User credentials file (JWT and nkey seed); `-`: read them from stdin (the agent only),
    /// so that they are never written to a file
    #[arg(long = CREDS.long, env = CREDS.env, value_name = "FILE", global = true)]
    pub creds: Option<PathBuf>,

    /// The creds read from stdin for `--creds -` ([`ConnectionArgs::read_stdin_creds`]).
    #[arg(skip)]
    pub stdin_creds: Option<StdinCreds>,

    /// User nkey seed file
    #[arg(long = NKEY.long, env = NKEY.env, value_name = "FILE", global = true)]
    pub nkey: Option<PathBuf>,

    /// Authentication token
    #[arg(long, env = "NATS_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,

    /// User name to connect as, with --password; wins over a user in the --server URL.
    /// Given before any subcommand (`publisher send --user` names whom to send to)
    #[arg(long, env = "NATS_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Password of --user (better in NATS_PASSWORD: the command line is visible to others)
    #[arg(
        long,
        env = "NATS_PASSWORD",
        hide_env_values = true,
        hide_default_value = true,
        value_name = "PASSWORD",
        requires = "user"
    )]
    pub password: Option<String>,

    /// nats CLI context to read servers and credentials from (~/.config/nats/context/NAME.json);
    /// default: the one selected with `nats context select`, if any
    #[arg(long, env = "NATS_CONTEXT", value_name = "NAME", global = true)]
    pub context: Option<String>,

    /// JetStream domain of the message stream (e.g. a leafnode's), for stored sends and catch-up
    #[arg(long, env = "NATS_JS_DOMAIN", value_name = "DOMAIN", global = true)]
    pub js_domain: Option<String>,

    /// Prefix of the publisher's reply inboxes (default _INBOX); the agent always uses
    /// _INBOX.<session>
    #[arg(long, value_name = "PREFIX", global = true)]
    pub inbox_prefix: Option<String>,

    /// CA certificate (PEM) to verify the server with; turns TLS on
    #[arg(
        long = TLS_CA.long,
        visible_alias = "tlsca",
        env = TLS_CA.env,
        value_name = "FILE",
        global = true
    )]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) for servers that require one; needs --tls-key
    #[arg(
        long = TLS_CERT.long,
        visible_alias = "tlscert",
        env = TLS_CERT.env,
        value_name = "FILE",
        requires = "tls_key",
        global = true
    )]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) of --tls-cert
    #[arg(
        long = TLS_KEY.long,
        visible_alias = "tlskey",
        env = TLS_KEY.env,
        value_name = "FILE",
        requires = "tls_cert",
        global = true
    )]
    pub tls_key: Option<PathBuf>,

    /// Connection name shown by the server's monitoring
    #[arg(long, global = true)]
    pub name: Option<String>,

    /// How long to wait on NATS: connecting, and answers where a command waits
    /// for them (e.g. 5s, 500ms) [default: connect 5s]
    #[arg(
        long,
        env = "NATS_TIMEOUT",
        value_name = "DUR",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub timeout: Option<Duration>,
}

/// The connection options as a program runs with them, once the command
/// line (and settings) are parsed: [`ConnectionArgs`]'s values and methods,
/// held by a runtime configuration (the agent's) that knows nothing of clap.
#[derive(Debug, Clone, Default)]
pub struct Connection(ConnectionArgs);

impl From<ConnectionArgs> for Connection {
    fn from(args: ConnectionArgs) -> Connection {
        Connection(args)
    }
}

impl std::ops::Deref for Connection {
    type Target = ConnectionArgs;

    fn deref(&self) -> &ConnectionArgs {
        &self.0
    }
}

/// The text of creds read from stdin (`--creds -`): kept in memory only,
/// never shown (`Debug` hides it).
#[derive(Clone, Default)]
pub struct StdinCreds(std::sync::Arc<str>);

impl std::fmt::Debug for StdinCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StdinCreds(***)")
    }
}

/// The `--creds` value that means "read them from stdin".
pub const CREDS_FROM_STDIN: &str = "-";

/// Most creds text read from stdin (a creds file is about 1 KiB).
const STDIN_CREDS_LIMIT: u64 = 64 * 1024;

/// The line that ends a creds file: reading stops there, so a caller that
/// keeps stdin open does not hold the agent up.
const CREDS_LAST_LINE: &str = "------END USER NKEY SEED------";

/// An option naming a file that a `nats` CLI environment variable sets too
/// (`NATS_CA` for `--tls-ca`, …): an error about the file names where the
/// value came from, so a variable set long ago and forgotten is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOption {
    /// The long option, without its dashes.
    pub long: &'static str,
    /// The environment variable that sets it, as the `nats` CLI reads it.
    pub env: &'static str,
}

pub const CREDS: FileOption = FileOption {
    long: "creds",
    env: "NATS_CREDS",
};
pub const NKEY: FileOption = FileOption {
    long: "nkey",
    env: "NATS_NKEY",
};
pub const TLS_CA: FileOption = FileOption {
    long: "tls-ca",
    env: "NATS_CA",
};
pub const TLS_CERT: FileOption = FileOption {
    long: "tls-cert",
    env: "NATS_CERT",
};
pub const TLS_KEY: FileOption = FileOption {
    long: "tls-key",
    env: "NATS_KEY",
};

impl FileOption {
    /// How an error names this option, whose value is `value`: `NATS_CA
    /// (--tls-ca)` when the environment holds that value, else `--tls-ca`.
    pub fn label(self, value: &Path) -> String {
        let from_env = std::env::var_os(self.env).is_some_and(|v| Path::new(&v) == value);
        if from_env {
            format!("{} (--{})", self.env, self.long)
        } else {
            format!("--{}", self.long)
        }
    }

    /// The TLS file `path` given with this option, to check.
    fn tls_file(self, path: &Path) -> TlsFile<'_> {
        TlsFile::new(self.label(path), path)
    }
}

/// A local problem with the connection options: nothing was attempted (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupErrorKind {
    /// A `--server` URL does not parse.
    InvalidServer,
    /// `--server` names no server at all.
    NoServer,
    /// A file named by an option cannot be read.
    UnreadableFile,
    /// The `--nkey` file holds no user nkey seed.
    NoSeed,
    /// Two server URLs carry different users, passwords or tokens.
    ConflictingCredentials,
    /// A login user (`--user` before the subcommand, `NATS_USER`, a settings
    /// file's or a context's `user`) without a password: most likely a
    /// send's target given in the wrong place.
    UserWithoutPassword,
    /// TLS options with a `ws://` URL, which is never encrypted.
    TlsOverPlainWebSocket,
    /// A `--tls-ca`, `--tls-cert` or `--tls-key` file TLS cannot use.
    TlsFile(TlsFileKind),
    /// `--creds -` with no creds on stdin (a terminal, nothing, or not creds),
    /// or in a program that does not read them there.
    StdinCreds,
    /// `--creds` of the other program (an agent's for ops, ops' for an agent).
    CredsWrongRole,
}

impl ErrorKind for SetupErrorKind {
    fn describe(self) -> &'static str {
        match self {
            SetupErrorKind::InvalidServer => "invalid --server URL",
            SetupErrorKind::NoServer => {
                "--server is empty: give a NATS URL such as nats://127.0.0.1:4222"
            }
            SetupErrorKind::UnreadableFile => "a file given as an option cannot be read",
            SetupErrorKind::NoSeed => "no user nkey seed in the --nkey file",
            SetupErrorKind::ConflictingCredentials => {
                "the --server URLs carry different credentials: give one user and password (or \
                 token) for every server, in one URL or in the settings file"
            }
            SetupErrorKind::UserWithoutPassword => "a NATS login user without a password",
            SetupErrorKind::TlsOverPlainWebSocket => {
                "a ws:// URL is never encrypted, yet TLS options are given: use wss:// for \
                 WebSocket over TLS"
            }
            SetupErrorKind::TlsFile(kind) => kind.describe(),
            SetupErrorKind::CredsWrongRole => CauseKind::WrongRole.describe(),
            SetupErrorKind::StdinCreds => "--creds -: no creds on stdin",
        }
    }
}

/// A local problem with the connection options; the message names the
/// option and what to do, never a secret.
pub type SetupError = Error<SetupErrorKind>;

/// Why the server could not be reached or refused us (exit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailureKind {
    /// The options were unusable (see [`SetupError`]).
    Setup,
    /// No answer within `--timeout`.
    TimedOut,
    /// Nothing listens there, or the network is down.
    Unreachable,
    /// The host name does not resolve.
    Dns,
    /// The server refused the credentials.
    Refused,
    /// The server refused the `--creds`, for the cause their JWT tells.
    CredsRefused(CauseKind),
    /// TLS failed (certificate, or TLS required on one side only).
    Tls,
    /// The server list is not a NATS URL.
    InvalidUrl,
}

impl ErrorKind for ConnectFailureKind {
    fn describe(self) -> &'static str {
        match self {
            ConnectFailureKind::Setup => "",
            ConnectFailureKind::TimedOut => "no answer from NATS in time",
            ConnectFailureKind::Unreachable => "cannot reach NATS",
            ConnectFailureKind::Dns => "cannot resolve the NATS server",
            ConnectFailureKind::Refused => "NATS refused the credentials",
            ConnectFailureKind::CredsRefused(cause) => cause.describe(),
            ConnectFailureKind::Tls => "TLS with NATS failed",
            ConnectFailureKind::InvalidUrl => "invalid NATS server URL",
        }
    }
}

/// The server could not be reached or refused us; the message says what
/// to do, never shows a secret.
pub type ConnectFailure = Error<ConnectFailureKind>;

impl ConnectionArgs {
    /// How long connecting may take.
    pub fn connect_timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// The server list as async-nats gets it: parsed, without the user,
    /// password or token any URL carries (async-nats logs its server
    /// addresses at debug level, password included); those go to
    /// async-nats through [`ConnectionArgs::options`] instead.
    pub fn server_addrs(&self) -> Result<Vec<ServerAddr>, SetupError> {
        self.parsed_addrs()?
            .into_iter()
            .map(|addr| {
                let mut url = addr.into_inner();
                // Only fails for URLs that cannot have credentials.
                let _ = url.set_username("");
                let _ = url.set_password(None);
                ServerAddr::from_url(url).map_err(|e| {
                    SetupError::with_context(
                        SetupErrorKind::InvalidServer,
                        tr!("server-url-invalid", cause = e.to_string()),
                    )
                })
            })
            .collect()
    }

    /// The server list, parsed, credentials and all.
    fn parsed_addrs(&self) -> Result<Vec<ServerAddr>, SetupError> {
        let addrs = self
            .server
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ServerAddr>().map_err(|e| {
                    let context = self.scrub(&tr!(
                        "server-url-unparsable",
                        url = redact_url(s),
                        cause = e.to_string()
                    ));
                    // The parse error may repeat the password: not kept.
                    SetupError::with_context(SetupErrorKind::InvalidServer, context)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if addrs.is_empty() {
            return Err(SetupError::with_context(
                SetupErrorKind::NoServer,
                tr!("server-empty"),
            ));
        }
        Ok(addrs)
    }

    /// The server list as safe to print: passwords replaced by `***`.
    pub fn display_servers(&self) -> String {
        self.server
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(redact_url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// async-nats options for these arguments. `default_name` names the
    /// connection when `--name` is not given. A login user without a
    /// password is refused first ([`ConnectionArgs::check_login`]).
    pub async fn options(&self, default_name: &str) -> Result<ConnectOptions, SetupError> {
        self.check_login()?;
        let mut options = ConnectOptions::new()
            .name(self.name.as_deref().unwrap_or(default_name))
            .connection_timeout(self.connect_timeout());
        if let Some(text) = &self.stdin_creds {
            options = options.credentials(&text.0).map_err(|e| {
                SetupError::with_context(SetupErrorKind::StdinCreds, tr!("stdin-creds-not-creds"))
                    .caused_by(e)
            })?;
        } else if self.creds_from_stdin() {
            return Err(SetupError::with_context(
                SetupErrorKind::StdinCreds,
                tr!("stdin-creds-agent-only"),
            ));
        } else if let Some(path) = &self.creds {
            options = options
                .credentials_file(path)
                .await
                .map_err(|e| file_error(&CREDS.label(path), tr!("file-as-creds"), path, e))?;
        }
        if let Some(path) = &self.nkey {
            let seed = keys::read_seed(path, SeedKind::User).map_err(|e| match e.kind() {
                SeedErrorKind::Unreadable => {
                    file_error(&NKEY.label(path), tr!("file-as-nkey"), path, e)
                }
                SeedErrorKind::NoSeed => SetupError::with_context(
                    SetupErrorKind::NoSeed,
                    tr!("nkey-no-seed", path = path.display().to_string()),
                ),
            })?;
            options = options.nkey(seed);
        }
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        // Taken out of the URLs (see `server_addrs`) and given this way;
        // --user/--password win over the URLs' user, as --token over their token.
        let url_credentials = self.url_credentials()?;
        if let Some(user) = &self.user {
            let password = self.password.clone().unwrap_or_default();
            options = options.user_and_password(user.clone(), password);
        } else {
            match url_credentials {
                Some((user, Some(password))) => options = options.user_and_password(user, password),
                Some((token, None)) if self.token.is_none() => options = options.token(token),
                _ => {}
            }
        }
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix.clone());
        }
        self.refuse_tls_over_plain_websocket()?;
        let ca = self.tls_ca.as_deref().map(|path| TLS_CA.tls_file(path));
        let client = self
            .tls_cert
            .as_deref()
            .zip(self.tls_key.as_deref())
            .map(|(cert, key)| (TLS_CERT.tls_file(cert), TLS_KEY.tls_file(key)));
        tls_files::check(ca.as_ref(), client.as_ref()).map_err(|e| {
            SetupError::with_context(SetupErrorKind::TlsFile(e.kind()), e.to_string()).caused_by(e)
        })?;
        if let Some(ca) = &ca {
            readable(ca)?;
            options = options
                .add_root_certificates(ca.path.to_owned())
                .require_tls(true);
        }
        if let Some((cert, key)) = &client {
            readable(cert)?;
            readable(key)?;
            options = options
                .add_client_certificate(cert.path.to_owned(), key.path.to_owned())
                .require_tls(true);
        }
        Ok(options)
    }

    /// A login user needs its password. `publisher --user vanessa send …`
    /// reads as a send to vanessa, yet that `--user` is the login (the
    /// target's `--user` comes after `send`): on a server without
    /// authentication it would connect and send to everyone. No server
    /// takes a user without a password, so refusing one loses nothing.
    pub fn check_login(&self) -> Result<(), SetupError> {
        match (&self.user, &self.password) {
            (Some(user), None) => Err(SetupError::with_context(
                SetupErrorKind::UserWithoutPassword,
                tr!("user-without-password", user = format!("{user:?}")),
            )),
            _ => Ok(()),
        }
    }

    /// `ws://` with `--tls-ca` or `--tls-cert`: async-nats would connect in
    /// the clear, against what the options ask for.
    fn refuse_tls_over_plain_websocket(&self) -> Result<(), SetupError> {
        let tls = self.tls_ca.is_some() || self.tls_cert.is_some();
        if tls && self.parsed_addrs()?.iter().any(|a| a.scheme() == "ws") {
            return Err(SetupError::with_context(
                SetupErrorKind::TlsOverPlainWebSocket,
                tr!("tls-over-plain-websocket"),
            ));
        }
        Ok(())
    }

    /// The one user and password (or token, as the user alone) the server
    /// URLs carry, percent-decoded; different ones in two URLs are refused.
    fn url_credentials(&self) -> Result<Option<(String, Option<String>)>, SetupError> {
        let mut found = None;
        for addr in self.parsed_addrs()? {
            let Some(user) = addr.username() else {
                continue;
            };
            let these = (percent_decode(user), addr.password().map(percent_decode));
            match &found {
                None => found = Some(these),
                Some(first) if *first == these => {}
                Some(_) => {
                    return Err(SetupError::with_context(
                        SetupErrorKind::ConflictingCredentials,
                        tr!("conflicting-credentials"),
                    ))
                }
            }
        }
        Ok(found)
    }

    /// Whether a server URL carries a password or token.
    pub fn has_url_secret(&self) -> bool {
        self.parsed_addrs()
            .map(|addrs| addrs.iter().any(|a| a.username().is_some()))
            .unwrap_or(false)
    }

    /// The JetStream API through `client`: in `--js-domain`'s domain when
    /// one is given (e.g. a leafnode's), else the server's own. The one
    /// place stored sends, `publisher setup` and the agent's catch-up get it.
    pub fn jetstream(&self, client: async_nats::Client) -> async_nats::jetstream::Context {
        match self.js_domain.as_deref() {
            Some(domain) if !domain.is_empty() => {
                async_nats::jetstream::with_domain(client, domain)
            }
            _ => async_nats::jetstream::new(client),
        }
    }

    /// Connects once, bounded by `--timeout`: for commands that must not hang.
    pub async fn connect(
        &self,
        options: ConnectOptions,
    ) -> Result<async_nats::Client, ConnectFailure> {
        let addrs = self
            .server_addrs()
            .map_err(|e| ConnectFailure::with_source(ConnectFailureKind::Setup, e))?;
        let timeout = self.connect_timeout();
        match tokio::time::timeout(timeout, options.connect(addrs)).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(err)) => Err(self.connect_failure(err)),
            Err(_) => Err(ConnectFailure::with_context(
                ConnectFailureKind::TimedOut,
                self.timed_out(),
            )),
        }
    }

    /// A failed connection attempt as a typed error: its kind, the advice
    /// of [`ConnectionArgs::describe_connect_error`], and the cause.
    pub fn connect_failure(&self, err: ConnectError) -> ConnectFailure {
        let context = self.describe_connect_error(&err);
        let kind = match self.creds_refusal(&err) {
            Some(cause) => ConnectFailureKind::CredsRefused(cause.kind()),
            None => failure_kind(&err),
        };
        ConnectFailure::with_context(kind, context).caused_by(err)
    }

    /// Whether `--creds -` asks for the creds on stdin.
    pub fn creds_from_stdin(&self) -> bool {
        self.creds.as_deref() == Some(Path::new(CREDS_FROM_STDIN))
    }

    /// For `--creds -`: reads the creds from stdin, up to the end of their
    /// seed block (or of stdin), and keeps them in memory for connecting;
    /// they are never written anywhere. A terminal, or no creds, is a
    /// setup error. Does nothing for other `--creds`.
    pub fn read_stdin_creds(&mut self) -> Result<(), SetupError> {
        use std::io::{BufRead, IsTerminal, Read};
        if !self.creds_from_stdin() || self.stdin_creds.is_some() {
            return Ok(());
        }
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(SetupError::with_context(
                SetupErrorKind::StdinCreds,
                tr!("stdin-creds-terminal"),
            ));
        }
        let mut text = String::new();
        let mut lines = stdin.lock().take(STDIN_CREDS_LIMIT);
        loop {
            let read = lines.read_line(&mut text).map_err(|e| {
                SetupError::with_context(
                    SetupErrorKind::StdinCreds,
                    tr!("stdin-creds-unreadable", cause = e.to_string()),
                )
                .caused_by(e)
            })?;
            if read == 0 || text.trim_end().ends_with(CREDS_LAST_LINE) {
                break;
            }
        }
        creds::parse(&text).map_err(|e| {
            SetupError::with_context(SetupErrorKind::StdinCreds, tr!("stdin-creds-not-creds"))
                .caused_by(e)
        })?;
        self.stdin_creds = Some(StdinCreds(text.into()));
        Ok(())
    }

    /// Who the `--creds` say their holder is, read from their file or from
    /// stdin; `None` without creds.
    pub fn read_creds_identity(&self) -> Option<Result<CredsIdentity, creds::CredsError>> {
        match (&self.stdin_creds, &self.creds) {
            (Some(text), _) => Some(creds::parse(&text.0)),
            (None, Some(path)) => Some(creds::read(path)),
            (None, None) => None,
        }
    }

    /// Who the `--creds` say their holder is; `None` without creds, or when
    /// they cannot be read (connecting says why).
    pub fn creds_identity(&self) -> Option<CredsIdentity> {
        self.read_creds_identity()?.ok()
    }

    /// How messages name the `--creds`: their file, or stdin.
    fn creds_shown(&self) -> String {
        match &self.creds {
            _ if self.creds_from_stdin() => "stdin (--creds -)".to_owned(),
            Some(path) => path.display().to_string(),
            None => String::new(),
        }
    }

    /// [`ConnectionArgs::creds_refused_because`], when `err` is the
    /// server's "authorization violation"; `None` for another error.
    fn creds_refusal(&self, err: &ConnectError) -> Option<Cause> {
        (err.kind() == ConnectErrorKind::AuthorizationViolation)
            .then(|| self.creds_refused_because())
            .flatten()
    }

    /// Why the server refused the `--creds` now ("authorization violation"
    /// is all it says), as their JWT tells; `None` without creds.
    pub fn creds_refused_because(&self) -> Option<Cause> {
        let identity = self.creds_identity()?;
        Some(creds_check::refused(&identity, jiff::Timestamp::now()))
    }

    /// Why the `--creds` will be refused, from their dates alone, before
    /// connecting; `None` while they are in force (or without creds).
    pub fn creds_out_of_date(&self) -> Option<Cause> {
        creds_check::out_of_date(&self.creds_identity()?, jiff::Timestamp::now())
    }

    /// What to say when the server refuses (or will refuse) the `--creds`
    /// for `cause`.
    pub fn creds_refused_text(&self, cause: &Cause) -> String {
        tr!(
            "creds-refused",
            servers = self.display_servers(),
            creds = self.creds_shown(),
            cause = cause.advice()
        )
    }

    /// Refuses `--creds` meant for the other program than `wanted`, before
    /// connecting: the server would take them and refuse what they do.
    pub fn check_creds_holder(&self, wanted: Holder) -> Result<(), SetupError> {
        let Some(cause) = self
            .creds_identity()
            .and_then(|identity| creds_check::wrong_role(&identity, wanted))
        else {
            return Ok(());
        };
        Err(SetupError::with_context(
            SetupErrorKind::CredsWrongRole,
            tr!(
                "creds-wrong-role",
                creds = self.creds_shown(),
                cause = cause.advice()
            ),
        ))
    }

    /// What went wrong connecting, and what to do about it.
    pub fn describe_connect_error(&self, err: &ConnectError) -> String {
        let servers = self.display_servers();
        let cause = err
            .source()
            .map(|s| match s.downcast_ref::<std::io::Error>() {
                Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                    tr!("cause-connection-refused")
                }
                _ => s.to_string(),
            })
            .unwrap_or_else(|| err.kind().to_string());
        let text = match err.kind() {
            ConnectErrorKind::TimedOut => return self.timed_out(),
            ConnectErrorKind::Io if is_tls_problem(&cause) => self.tls_advice(&cause),
            ConnectErrorKind::Dns => tr!(
                "connect-dns",
                servers = servers.as_str(),
                cause = cause.as_str()
            ),
            ConnectErrorKind::Authentication | ConnectErrorKind::AuthorizationViolation => {
                match self.creds_refusal(err) {
                    Some(refusal) => self.creds_refused_text(&refusal),
                    None => tr!(
                        "connect-refused-credentials",
                        servers = servers.as_str(),
                        cause = cause.as_str()
                    ),
                }
            }
            ConnectErrorKind::Tls => self.tls_advice(&cause),
            ConnectErrorKind::ServerParse => tr!(
                "connect-invalid-url",
                servers = servers.as_str(),
                cause = cause.as_str()
            ),
            ConnectErrorKind::Io | ConnectErrorKind::MaxReconnects => {
                let advice =
                    websocket_advice(&cause).unwrap_or_else(|| tr!("advice-is-server-running"));
                tr!(
                    "connect-unreachable",
                    servers = servers.as_str(),
                    cause = cause.as_str(),
                    advice = advice
                )
            }
        };
        self.scrub(&text)
    }

    fn tls_advice(&self, cause: &str) -> String {
        let advice = if cause.contains("UnsupportedCertVersion") {
            tr!("advice-tls-server-v1")
        } else if cause.contains("corrupt message") {
            tr!("advice-tls-not-spoken")
        } else {
            tr!("advice-tls-check")
        };
        tr!(
            "connect-tls",
            servers = self.display_servers(),
            cause = cause,
            advice = advice
        )
    }

    fn timed_out(&self) -> String {
        // A nats:// URL naming a websocket port waits for an answer that never comes.
        let websocket = self
            .parsed_addrs()
            .is_ok_and(|addrs| addrs.iter().any(ServerAddr::is_websocket));
        let text = tr!(
            "connect-timed-out",
            servers = self.display_servers(),
            within = humantime::format_duration(self.connect_timeout()).to_string()
        );
        if websocket {
            text
        } else {
            text + &tr!("advice-websocket-port")
        }
    }

    /// Removes every password and token these arguments carry from `text`,
    /// whatever produced it.
    pub fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<String> = self
            .server
            .split(',')
            .filter_map(|s| s.trim().parse::<ServerAddr>().ok())
            .filter_map(|a| a.password().map(str::to_owned))
            .flat_map(|raw| [percent_decode(&raw), raw])
            .collect();
        secrets.extend(self.token.clone());
        secrets.extend(self.password.clone());
        secrets
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_owned(), |acc, secret| {
                acc.replace(secret.as_str(), "***")
            })
    }
}

/// The kind of a failed connection attempt, as [`ConnectionArgs::describe_connect_error`]
/// tells them apart.
fn failure_kind(err: &ConnectError) -> ConnectFailureKind {
    let cause = err.source().map(|s| s.to_string()).unwrap_or_default();
    match err.kind() {
        ConnectErrorKind::TimedOut => ConnectFailureKind::TimedOut,
        ConnectErrorKind::Io if is_tls_problem(&cause) => ConnectFailureKind::Tls,
        ConnectErrorKind::Tls => ConnectFailureKind::Tls,
        ConnectErrorKind::Dns => ConnectFailureKind::Dns,
        ConnectErrorKind::Authentication | ConnectErrorKind::AuthorizationViolation => {
            ConnectFailureKind::Refused
        }
        ConnectErrorKind::ServerParse => ConnectFailureKind::InvalidUrl,
        ConnectErrorKind::Io | ConnectErrorKind::MaxReconnects => ConnectFailureKind::Unreachable,
    }
}

/// Whether an I/O error's cause is TLS's: rustls reports a bad certificate,
/// and a server that does not speak TLS ("received corrupt message"),
/// through I/O errors.
fn is_tls_problem(cause: &str) -> bool {
    ["certificate", "TLS", "corrupt message"]
        .iter()
        .any(|word| cause.contains(word))
}

/// What to do when a WebSocket handshake failed, by its cause as
/// tokio-websockets words it; `None` for other causes.
fn websocket_advice(cause: &str) -> Option<String> {
    if cause.contains("invalid HTTP version") {
        // The answer was not HTTP: nats-server's INFO line, most likely.
        Some(tr!("advice-ws-not-websocket"))
    } else if cause.contains("got status code 400") {
        // What nats-server answers to plain HTTP on a TLS listener.
        Some(tr!("advice-ws-tls"))
    } else if cause.contains("expected HTTP 101") {
        Some(tr!("advice-ws-refused"))
    } else {
        None
    }
}

/// `%40` → `@`: user names and passwords in URLs are percent-encoded. A `%`
/// not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// `nats://user:secret@host:4222` → `nats://user:***@host:4222`.
///
/// By hand, not with the `url` crate: it must also hide the secret of a
/// URL that does not parse (`nats://u:pw@[bad`), which is exactly the one an
/// "invalid --server URL" error shows, and of one without a scheme.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            // A lone userinfo part is a token or a user name: hide it too.
            None => format!("***@{host}"),
        },
        None => rest.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest,
    }
}

fn file_error(
    flag: &str,
    what: String,
    path: &Path,
    err: impl Into<remote_message::error::BoxError> + std::fmt::Display,
) -> SetupError {
    let context = tr!(
        "file-unreadable",
        flag = flag,
        path = path.display().to_string(),
        what = what,
        cause = err.to_string()
    );
    SetupError::with_context(SetupErrorKind::UnreadableFile, context).caused_by(err)
}

fn readable(file: &TlsFile) -> Result<(), SetupError> {
    std::fs::metadata(file.path)
        .map(|_| ())
        .map_err(|e| file_error(&file.label, tr!("file-as-pem"), file.path, e))
}

/// Returns once the server has processed everything `client` sent before
/// it, e.g. the subscriptions (re)sent on connect. `Client::flush` is not
/// enough: in async-nats it only empties the socket buffer. A request on a
/// fresh inbox nobody serves is answered "no responders" by the server
/// itself, in order; agents may publish on `_INBOX.>` in the broker roles.
pub async fn round_trip(client: &async_nats::Client) -> Result<(), async_nats::RequestError> {
    match client.request(client.new_inbox(), Default::default()).await {
        Err(e) if e.kind() == RequestErrorKind::NoResponders => Ok(()),
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(server: &str) -> ConnectionArgs {
        ConnectionArgs {
            server: server.into(),
            ..Default::default()
        }
    }

    /// Passwords and tokens in URLs become `***`, in parseable URLs,
    /// unparseable ones and ones without a scheme alike, and `scrub`
    /// removes them from any text.
    #[test]
    fn passwords_and_tokens_are_redacted() {
        assert_eq!(redact_url("nats://u:s3cret@h:4222"), "nats://u:***@h:4222");
        assert_eq!(redact_url("tls://tok3n@h"), "tls://***@h");
        assert_eq!(redact_url("wss://u:s3cret@h/nats"), "wss://u:***@h/nats");
        assert_eq!(redact_url("h:4222"), "h:4222");
        assert_eq!(redact_url("u:pw@h:4222"), "u:***@h:4222");
        assert_eq!(redact_url("nats://u:pw@[bad"), "nats://u:***@[bad");
        assert_eq!(redact_url("nats://u:p@ss@h"), "nats://u:***@h");
        let a = args("nats://u:s3cret@h:1, nats://other:4222");
        assert_eq!(a.display_servers(), "nats://u:***@h:1,nats://other:4222");
        assert_eq!(a.scrub("oops s3cret leaked"), "oops *** leaked");
    }

    /// A list of servers parses; an empty one and a bad URL are setup
    /// errors of their own kinds, the bad URL's without its password.
    #[test]
    fn server_lists_parse_and_bad_urls_are_setup_errors() {
        assert_eq!(args("a:1,b:2").server_addrs().unwrap().len(), 2);
        let empty = args(" , ").server_addrs().unwrap_err();
        assert_eq!(empty.kind(), SetupErrorKind::NoServer);
        assert_eq!(
            empty.to_string(),
            "--server is empty: give a NATS URL such as nats://127.0.0.1:4222"
        );
        let err = args("nats://u:s3cret@[bad").server_addrs().unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::InvalidServer);
        let err = err.to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(
            err.starts_with("invalid --server URL nats://u:***@[bad: "),
            "{err}"
        );
    }

    /// An unreadable `--nkey` file and one without a seed stop before any
    /// connection, each with its own kind and message.
    #[tokio::test]
    async fn nkey_files_are_read_through_the_one_seed_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.nk");
        let with_nkey = |path: &Path| ConnectionArgs {
            nkey: Some(path.to_owned()),
            ..args("nats://h:4222")
        };
        let err = with_nkey(&path).options("t").await.unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::UnreadableFile);
        assert!(err.to_string().starts_with(&format!(
            "--nkey {}: cannot read it as an nkey seed file (",
            path.display()
        )));
        std::fs::write(&path, "garbage\n").unwrap();
        let err = with_nkey(&path).options("t").await.unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::NoSeed);
        assert!(!err.to_string().contains("garbage"));
        let (seed, _) = remote_message::signing::generate();
        std::fs::write(&path, format!("# a user\n{seed}\n")).unwrap();
        assert!(with_nkey(&path).options("t").await.is_ok());
    }

    /// Nothing listens on the port: the failure is of kind Unreachable and
    /// its message is the advice, without the password.
    #[tokio::test]
    async fn a_refused_connection_is_unreachable_with_advice() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let a = args(&format!("nats://u:s3cret@127.0.0.1:{port}"));
        let options = a.options("t").await.unwrap();
        let err = a.connect(options).await.unwrap_err();
        assert_eq!(err.kind(), ConnectFailureKind::Unreachable, "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot reach NATS at nats://u:***@127.0.0.1:"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }

    /// Credentials in URLs are percent-decoded; a lone or malformed `%`
    /// stays, and bytes that are not UTF-8 become U+FFFD.
    #[test]
    fn url_credentials_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aw0rd"), "p@ss:w0rd");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
        // Scrubbing hides both the encoded and the decoded password.
        let a = args("nats://u:p%40ss@h:1");
        assert_eq!(a.scrub("p%40ss and p@ss"), "*** and ***");
    }

    /// The addresses given to async-nats carry no user, password or token;
    /// the same credentials in several URLs are fine, different ones a
    /// setup error naming no secret.
    #[tokio::test]
    async fn url_credentials_never_reach_the_addresses() {
        let a = args("nats://u:s3cret@h:1,nats://u:s3cret@k:2,nats://l:3,tls://tok3n@m:4");
        let ws = args("ws://u:s3cret@h:80,wss://u:s3cret@k:443");
        assert_eq!(ws.server_addrs().unwrap().len(), 2);
        for addr in ws.server_addrs().unwrap() {
            assert_eq!((addr.username(), addr.password()), (None, None));
        }
        for addr in a.server_addrs().unwrap() {
            let debug = format!("{addr:?}");
            assert!(
                !debug.contains("s3cret") && !debug.contains("tok3n"),
                "{debug}"
            );
            assert_eq!((addr.username(), addr.password()), (None, None));
        }
        assert!(a.has_url_secret());
        assert!(!args("nats://h:1").has_url_secret());
        let same = args("nats://u:p%40w@h:1,nats://u:p%40w@k:2");
        assert_eq!(
            same.url_credentials().unwrap(),
            Some(("u".into(), Some("p@w".into())))
        );
        assert!(same.options("t").await.is_ok());
        let differ = args("nats://u:one1@h:1,nats://u:two2@k:2");
        let err = differ.options("t").await.unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::ConflictingCredentials);
        assert!(!err.to_string().contains("one1") && !err.to_string().contains("two2"));
    }

    /// TLS options with a `ws://` URL are refused (it would connect in the
    /// clear); with `wss://` they are taken. A TLS file TLS cannot use is a
    /// setup error whose kind names the cause.
    #[tokio::test]
    async fn tls_options_need_wss_and_usable_files() {
        let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/v1-cert.pem");
        let with_ca = |server: &str| ConnectionArgs {
            tls_ca: Some(ca.clone()),
            ..args(server)
        };
        let err = with_ca("wss://h:443,ws://k:80")
            .options("t")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::TlsOverPlainWebSocket);
        assert!(err.to_string().contains("use wss://"), "{err}");
        assert!(with_ca("wss://h:443").options("t").await.is_ok());
        assert!(args("ws://h:80").options("t").await.is_ok());

        let client = ConnectionArgs {
            tls_cert: Some(ca.clone()),
            tls_key: Some(ca.clone()),
            ..args("tls://h:4222")
        };
        let err = client.options("t").await.unwrap_err();
        assert_eq!(
            err.kind(),
            SetupErrorKind::TlsFile(TlsFileKind::Version1Certificate)
        );
        assert!(err.to_string().contains("is X.509 version 1"), "{err}");
    }

    /// A server that greets like NATS (`INFO …`) on every connection: a
    /// `ws://` URL to it is told the port does not speak WebSocket, a
    /// `wss://` one that the server does not speak TLS there; both with
    /// their kind, neither with the generic advice.
    #[tokio::test]
    async fn websocket_urls_to_a_nats_port_are_told_what_is_wrong() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                use tokio::io::AsyncWriteExt;
                let _ = socket.write_all(b"INFO {\"max_payload\":1024}\r\n").await;
                // Held open until the client gives up.
                tokio::spawn(async move {
                    let mut sink = Vec::new();
                    let _ = tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut sink).await;
                });
            }
        });
        for (scheme, kind, advice) in [
            (
                "ws",
                ConnectFailureKind::Unreachable,
                "that port does not speak WebSocket",
            ),
            (
                "wss",
                ConnectFailureKind::Tls,
                "the server does not speak TLS there",
            ),
        ] {
            let a = args(&format!("{scheme}://127.0.0.1:{port}"));
            let err = a.connect(a.options("t").await.unwrap()).await.unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
            let text = err.to_string();
            assert!(text.contains(advice), "{text}");
            assert!(!text.contains("is nats-server running"), "{text}");
        }
    }

    /// A login user without a password is refused before anything is read
    /// or reached, naming where a login comes from; with a password (even
    /// an empty one, given on purpose) it is taken.
    #[tokio::test]
    async fn a_login_user_needs_a_password() {
        let login = |password: Option<&str>| ConnectionArgs {
            user: Some("vanessa".into()),
            password: password.map(str::to_owned),
            ..args("nats://h:4222")
        };
        let err = login(None).options("t").await.unwrap_err();
        assert_eq!(err.kind(), SetupErrorKind::UserWithoutPassword);
        let text = crate::lang::errors_in(crate::lang::Lang::En, || {
            login(None).check_login().unwrap_err().to_string()
        });
        assert!(
            text.starts_with("--user \"vanessa\" is a NATS login")
                && text.contains("NATS_USER")
                && text.contains("NATS_PASSWORD"),
            "{text}"
        );
        assert!(login(Some("pw")).options("t").await.is_ok());
        assert!(login(Some("")).options("t").await.is_ok());
    }

    /// Without `--timeout`, connecting may take five seconds.
    #[test]
    fn timeout_defaults_to_five_seconds() {
        assert_eq!(args("x").connect_timeout(), Duration::from_secs(5));
    }
}
