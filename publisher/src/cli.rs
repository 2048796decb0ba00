//! The `publisher` command line, defined once: `main` parses (and help, the
//! man page and completions show) it as [`command`] finishes it; the compose
//! check and the tests parse through [`try_parse_from`]. Each command's
//! options then resolve into what that command takes (a send's
//! [`send::Request`], an admin [`admin::Request`], plain values), so no
//! command reads this module.

use crate::admin::{self, layout::DIR_ENV, mint};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::recall::{self, DEFAULT_RECALL_WAIT};
use crate::send::plan::Asks;
use crate::send::{self, Request, WaitPolicy, DEFAULT_RECEIPT_WAIT};
use crate::status::DEFAULT_FOLLOW;
use clap::{Args, CommandFactory, Parser, Subcommand};
use remote_message::keys::SeedErrorKind;
use remote_message::ledger::LedgerSettings;
use remote_message::stream::StreamSettings;
use remote_message::{signing, Priority, SessionId};
use remote_message_cli::config::OneRun;
use remote_message_cli::exit::ExitCode::{
    self, CannotSeal, Failure, NoSession, NotConfirmed, Server, UnknownSend, Usage,
};
use remote_message_cli::startup::Definition;
use remote_message_cli::CommonArgs;
use remote_message_cli::{exit, identity, values};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

/// [`DEFAULT_RECEIPT_WAIT`] as `--wait` without a value reads it, and as
/// `--help` shows it: written from the constant, so the two cannot differ.
static DEFAULT_WAIT_TEXT: LazyLock<String> =
    LazyLock::new(|| humantime::format_duration(DEFAULT_RECEIPT_WAIT).to_string());

/// [`DEFAULT_RECALL_WAIT`] as `recall --wait` without a value reads it.
static DEFAULT_RECALL_WAIT_TEXT: LazyLock<String> =
    LazyLock::new(|| humantime::format_duration(DEFAULT_RECALL_WAIT).to_string());

/// `--wait`'s help, naming the default from the constant.
static WAIT_HELP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Wait up to DUR for receipts (default for session sends: {}); on a broadcast, first \
         lists the live sessions, then waits for each of them. Given explicitly, it also waits \
         for read receipts from desktops with OK",
        DEFAULT_WAIT_TEXT.as_str()
    )
});

/// The options a settings file may not hold, as a default would apply to
/// every run: whom a send goes to (`session`; a file's `user` is always
/// the login, never a target), what identifies one send (`id`: a fixed one
/// makes every later send a silent duplicate), what one run asks for
/// (`seal`, refused on a broadcast; `wait`, `no-wait`, `json`: what a script
/// reads and its exit code), and which file one run writes (`out`) and
/// whether it may replace it (`force`). Every other option is a default
/// safe for every run: connection, language, log, `sender`, `title`,
/// `priority`, `ttl`, `sign-key`, the stream's and the admin directory's.
pub const ONE_RUN: OneRun = &[
    "session", "id", "seal", "wait", "no-wait", "json", "out", "force", "answer", "remind",
    "follow",
];

/// Send a message to the screens of remote user sessions over NATS
/// (4D Server's SEND MESSAGE TO REMOTE USER).
#[derive(Debug, Parser)]
#[command(
    name = "publisher",
    version,
    after_help = exit::help("done (each command's --help says what it ends with)", ExitCode::ALL)
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The command line as `main` starts it: [`Cli`], whose help, man page and
/// completions hide the connection options where a command never connects
/// (`keygen`, `admin init`, `admin ops-creds`), and whose settings files
/// may not hold [`ONE_RUN`].
pub const DEFINITION: Definition = Definition {
    command: Cli::command,
    offline: &[&["keygen"], &["admin", "init"], &["admin", "ops-creds"]],
    one_run: ONE_RUN,
};

/// The command as help, usage lines after an error, the man page and
/// completions show it ([`Definition::finished`]).
pub fn command() -> clap::Command {
    DEFINITION.finished()
}

/// The exit codes of a command that never connects.
const LOCAL: &[ExitCode] = &[Failure, Usage];
/// The exit codes of a command that talks to the server.
const CONNECTS: &[ExitCode] = &[Failure, Usage, Server];

/// A command's help footer, shown by `-h` and `--help` alike: its examples,
/// then the exit codes it can end with, 0 meaning `done`.
fn footer(examples: &str, done: &str, codes: &[ExitCode]) -> String {
    format!("{examples}\n\n{}", exit::help(done, codes))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a message to every session, or to the sessions given with --session / --user
    ///
    /// A send to sessions waits for each agent's receipt (--no-wait to skip);
    /// a broadcast waits only with --wait.
    #[command(after_help = footer(
        "Examples:
  publisher send \"The server restarts at 10pm. Please log out before.\"
  publisher send Lunch is served
  publisher send --session 7f3a -t Hello \"Hello Vanessa\"
  publisher send --user vanessa -p high \"Hello Vanessa\"
  publisher send --wait 10s \"Please save your work now\"
  echo \"from a script\" | publisher send -",
        "sent",
        &[Failure, Usage, Server, NotConfirmed, NoSession, CannotSeal],
    ))]
    Send(SendArgs),

    /// Create or update the stream that stores every message for agents
    /// that were offline; idempotent (send creates it with defaults when missing)
    #[command(after_help = footer(
        "Examples:
  publisher setup
  publisher setup --retention 72h --replicas 3",
        "the stream is set up",
        CONNECTS,
    ))]
    Setup(SetupArgs),

    /// List the live sessions (like 4D's Process activity (Sessions only))
    ///
    /// Every agent that answers within --timeout (default 1s) is listed,
    /// and later ones while new sessions keep answering (30s at most; a
    /// session answering again does not count); one that stopped, froze or
    /// lost its network is not. The table shows what agents sent escaped
    /// (control, line-separator, bidi and zero-width characters as \n,
    /// \u{202e}, ...), one row per session; --json has it as sent.
    #[command(verbatim_doc_comment, after_help = footer(
        "Examples:
  publisher sessions
  publisher sessions --user vanessa --json",
        "listed",
        CONNECTS,
    ))]
    Sessions(SessionsArgs),

    /// Make a new signing key: writes its seed to FILE (mode 0600), prints
    /// the public key to give agents as --trust
    #[command(after_help = footer(
        "Example:
  publisher keygen --out ~/.config/remote-message/ops.nk",
        "the key is written",
        LOCAL,
    ))]
    Keygen(KeygenArgs),

    /// Per-session identity: make the operator, account and signing keys,
    /// the server's config, and creds files for agents and ops
    #[command(after_help = footer(
        "Examples:
  publisher admin init --out ~/remote-message-admin --resolver-dir /var/lib/nats/accounts
  publisher --server nats://nats.example:4222 admin agent-creds --dir ~/remote-message-admin --session 7f3a --user vanessa --out 7f3a.creds
  publisher admin ops-creds --dir ~/remote-message-admin --out ops2.creds
  publisher --server nats://nats.example:4222 admin push --dir ~/remote-message-admin",
        "done",
        CONNECTS,
    ))]
    Admin(AdminArgs),

    /// What became of a send at each session: delivered, read, answered,
    /// recalled or expired, and who has not, from the ledger (works hours
    /// later, from any ops machine)
    ///
    /// --follow prints rows as they come until every target answered (a
    /// send without answers: read), or --timeout passed (default 10m).
    #[command(verbatim_doc_comment, after_help = footer(
        "Examples:
  publisher status 3f9c2a7d1e4b
  publisher status 3f9c2a7d1e4b --json
  publisher status 3f9c2a7d1e4b --follow --timeout 30m",
        "shown",
        &[Failure, Usage, Server, UnknownSend],
    ))]
    Status(StatusArgs),

    /// Take a send back: delete its stored copies (agents offline now never
    /// show it), and order every agent to take it off the screen
    ///
    /// The order goes out on broadcast, signed with --sign-key when given;
    /// the ledger records the recall. --wait reports each session's answer:
    /// taken down (it had been shown) or never shown.
    #[command(verbatim_doc_comment, after_help = footer(
        "Examples:
  publisher recall 3f9c2a7d1e4b
  publisher recall 3f9c2a7d1e4b --wait 30s --json",
        "recalled",
        CONNECTS,
    ))]
    Recall(RecallArgs),
}

impl Command {
    /// Whether the command prints JSON (`--json`, for the commands that
    /// have it): then every exit prints one JSON value on stdout.
    pub fn json(&self) -> bool {
        match self {
            Command::Send(args) => args.json,
            Command::Sessions(args) => args.json,
            Command::Status(args) => args.json,
            Command::Recall(args) => args.json,
            Command::Setup(_) | Command::Keygen(_) | Command::Admin(_) => false,
        }
    }
}

/// Whether `--json` is among the arguments before `--`: for a command line
/// clap refuses, whose usage error is then a JSON object too.
pub fn asks_for_json(argv: &[OsString]) -> bool {
    argv.iter()
        .skip(1)
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--json")
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a new operator, accounts and keys in DIR (mode 0700); writes
    /// DIR/nats-server.conf (for the server), DIR/ops.creds and
    /// DIR/system.creds
    ///
    /// DIR/keys/, DIR/ops.creds and DIR/system.creds must never leave the ops machine.
    #[command(verbatim_doc_comment, after_help = footer(
        "Example:
  publisher admin init --out ~/remote-message-admin --resolver-dir /var/lib/nats/accounts",
        "set up (or, with --if-missing, a whole set-up kept)",
        LOCAL,
    ))]
    Init(AdminInitArgs),

    /// Mint an agent's creds file, bound to one session id (and a user
    /// name), in an account of its own that is pushed to the server
    #[command(after_help = footer(
        "Example:
  publisher --server nats://nats.example:4222 admin agent-creds --dir ~/remote-message-admin --session 7f3a --user vanessa --out 7f3a.creds",
        "the account is pushed (or kept, --no-push) and the creds written",
        CONNECTS,
    ))]
    AgentCreds(AgentCredsArgs),

    /// Mint another ops creds file (a second ops machine or person)
    #[command(after_help = footer(
        "Example:
  publisher admin ops-creds --dir ~/remote-message-admin --out ops2.creds",
        "the creds are written",
        LOCAL,
    ))]
    OpsCreds(OpsCredsArgs),

    /// Push every session account minted in DIR to the server again (a
    /// new server, a lost resolver directory, creds minted with --no-push)
    #[command(after_help = footer(
        "Example:
  publisher --server nats://nats.example:4222 admin push --dir ~/remote-message-admin",
        "every account is pushed",
        CONNECTS,
    ))]
    Push(AdminPushArgs),
}

impl AdminCommand {
    /// The command as [`admin::run`] takes it.
    pub fn request(self) -> admin::Request {
        match self {
            AdminCommand::Init(args) => admin::Request::Init {
                dir: args.out,
                if_missing: args.if_missing,
                resolver_dir: args.resolver_dir,
            },
            AdminCommand::AgentCreds(args) => admin::Request::AgentCreds(mint::AgentCreds {
                dir: args.dir.dir,
                session: args.session,
                user: args.user,
                push: !args.no_push,
                out: args.out.destination(),
            }),
            AdminCommand::OpsCreds(args) => admin::Request::OpsCreds {
                dir: args.dir.dir,
                out: args.out.destination(),
            },
            AdminCommand::Push(args) => admin::Request::Push { dir: args.dir.dir },
        }
    }
}

#[derive(Debug, Args)]
pub struct AdminInitArgs {
    /// The directory to create (or an empty one); refused if it holds keys
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// When DIR already holds a whole set-up, keep it and succeed (for
    /// scripts and the compose demo); a partial one is still refused
    #[arg(long)]
    pub if_missing: bool,
    /// Where nats-server keeps the accounts pushed to it (its `full`
    /// resolver's directory; a relative path is taken from the server's
    /// working directory)
    #[arg(long, value_name = "DIR", default_value = "jwt")]
    pub resolver_dir: String,
}

#[derive(Debug, Args)]
pub struct AdminPushArgs {
    #[command(flatten)]
    pub dir: AdminDirArgs,
}

/// Where `admin init` put the keys, for the commands that mint creds.
#[derive(Debug, Args)]
pub struct AdminDirArgs {
    /// The directory `publisher admin init --out` made
    #[arg(long, value_name = "DIR", env = DIR_ENV)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AgentCredsArgs {
    /// The session id the agent will have (the JWT's name)
    #[arg(long = "session", value_name = "ID")]
    pub session: SessionId,

    /// The user name bound to the session (`send --user NAME` reaches it);
    /// without it, no user is bound
    #[arg(long, value_name = "NAME", value_parser = parse_user_name)]
    pub user: Option<remote_message::UserName>,

    #[command(flatten)]
    pub out: CredsOut,

    /// Do not push the session's account to the server now (it is kept in
    /// DIR/accounts/; `publisher admin push` sends it later). The creds do
    /// not work until it is pushed
    #[arg(long)]
    pub no_push: bool,

    #[command(flatten)]
    pub dir: AdminDirArgs,
}

#[derive(Debug, Args)]
pub struct OpsCredsArgs {
    #[command(flatten)]
    pub out: CredsOut,

    #[command(flatten)]
    pub dir: AdminDirArgs,
}

/// Where `agent-creds` and `ops-creds` write the creds they mint.
#[derive(Debug, Args)]
pub struct CredsOut {
    /// Where to write the creds file (mode 0600); - prints it. An existing
    /// file is refused (exit 2, nothing pushed or written) unless --force
    #[arg(long = "out", value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// Replace an existing --out file (e.g. when minting a session again)
    #[arg(long)]
    pub force: bool,
}

impl CredsOut {
    /// `-` is stdout; any other path a file.
    fn destination(self) -> mint::Destination {
        if self.file == Path::new("-") {
            mint::Destination::Stdout
        } else {
            mint::Destination::File {
                path: self.file,
                replace: self.force,
            }
        }
    }
}

/// `--user` of `admin agent-creds`: the rule of [`remote_message::UserName`].
fn parse_user_name(raw: &str) -> Result<remote_message::UserName, String> {
    remote_message::UserName::parse(raw).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the seed; an existing file is never overwritten
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The text to show: the words are joined with spaces (`send hi there`
    /// sends "hi there", as `ntfy publish` does); - alone reads it from stdin
    #[arg(value_name = "MESSAGE", required = true, num_args = 1..)]
    pub message: Vec<String>,

    /// Send to this session id instead of everyone; repeatable
    /// (each session gets its own message)
    #[arg(long = "session", value_name = "ID")]
    pub sessions: Vec<SessionId>,

    /// Send to every live session of this user, its name in any case (as 4D
    /// compares strings); repeatable, combines with --session
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,

    /// Title shown above the text (the notification's title on a desktop)
    #[arg(short = 't', long, value_name = "TEXT")]
    pub title: Option<String>,

    /// How strongly it asks for attention: the desktop notification's
    /// urgency; urgent stays on screen until dismissed (e.g. -p high).
    /// ntfy's priorities work too: min, 1 and 2 are low, default and 3
    /// normal, 4 high, max and 5 urgent
    #[arg(short = 'p', long, value_parser = values::priority(), value_name = "LEVEL")]
    pub priority: Option<Priority>,

    /// Who the message is from [default: user@host]
    #[arg(long, value_name = "NAME")]
    pub sender: Option<String>,

    /// Agents no longer show the message this long after it was sent
    /// (e.g. 30s, 2h); an agent that comes online before then still shows it
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub ttl: Option<Duration>,

    /// Id of this send, instead of a random one: sending again with the
    /// same id (e.g. a retry after an error) never shows the message twice
    #[arg(long, value_name = "ID", value_parser = parse_send_id)]
    pub id: Option<remote_message::SendId>,

    /// Sign the message with the seed in FILE (from `publisher keygen`), for
    /// agents started with --trust
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<std::path::PathBuf>,

    /// Encrypt each session message to the key its agent advertises, so only
    /// that agent can read it (needs --session or --user)
    #[arg(long)]
    pub seal: bool,

    /// Offer this answer as a button (repeatable, 1 to 5 labels); with
    /// --wait, waits for the answers and prints who answered what
    #[arg(long = "answer", value_name = "LABEL")]
    pub answers: Vec<String>,

    /// Show the message again every DUR (at least 1s) until it is read or
    /// answered; without --ttl it expires after 8h
    #[arg(long, value_name = "DUR", value_parser = parse_remind)]
    pub remind: Option<Duration>,

    // The help is `WAIT_HELP`, written from `DEFAULT_RECEIPT_WAIT`.
    #[arg(
        long,
        help = WAIT_HELP.as_str(),
        value_name = "DUR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = DEFAULT_WAIT_TEXT.as_str(),
        value_parser = humantime::parse_duration
    )]
    pub wait: Option<Duration>,

    /// Do not wait for receipts
    #[arg(long, conflicts_with = "wait")]
    pub no_wait: bool,

    /// Print the result as one JSON object; on failure, an error object
    /// (`{"error":{"exit_code","kind","message"}}`, docs/scripts.md)
    #[arg(long)]
    pub json: bool,
}

impl SendArgs {
    /// The send as asked: the text read (all of stdin for `-`), `--user`
    /// checked, the key loaded, the sender and send id defaulted; in that
    /// order, so the first mistake is the one reported.
    pub fn request(self) -> Result<Request, Error> {
        let text = message_text(&self.message)?;
        send::plan::check_users(&self.users)?;
        let answers = remote_message::answer::Answers::parse(&self.answers)
            .map_err(|e| ErrorKind::Usage.error(e.to_string()).caused_by(e))?;
        let sign_key = self.sign_key.as_deref().map(sign_key).transpose()?;
        Ok(Request {
            text,
            title: self.title,
            sender: self.sender.unwrap_or_else(identity::user_at_host),
            priority: self.priority,
            ttl: self.ttl,
            id: self.id.unwrap_or_else(remote_message::SendId::random),
            sessions: self.sessions,
            users: self.users,
            seal: self.seal,
            sign_key,
            wait: match (self.no_wait, self.wait) {
                (true, _) => WaitPolicy::Never,
                (false, Some(within)) => WaitPolicy::Within(within),
                (false, None) => WaitPolicy::Default,
            },
            asks: Asks {
                answers,
                remind: self.remind,
            },
        })
    }
}

/// The message text: the words joined with spaces, or all of stdin for `-`
/// alone (without its final newline).
fn message_text(words: &[String]) -> Result<String, Error> {
    if words != ["-"] {
        return Ok(words.join(" "));
    }
    let mut raw = Vec::new();
    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
        ErrorKind::Usage
            .error(tr!(errors(), "stdin-unreadable", cause = e.to_string()))
            .caused_by(e)
    })?;
    let text = String::from_utf8(raw).map_err(|e| {
        ErrorKind::Usage
            .error(tr!(errors(), "stdin-not-utf8"))
            .caused_by(e)
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// `--sign-key`: the seed in `path`, or a usage error saying why not.
fn sign_key(path: &Path) -> Result<nkeys::KeyPair, Error> {
    signing::load_key(path).map_err(|e| {
        let path = path.display().to_string();
        let message = match e.kind() {
            SeedErrorKind::Unreadable => tr!(
                errors(),
                "sign-key-unreadable",
                path = path,
                cause = std::error::Error::source(&e)
                    .map_or_else(|| e.to_string(), ToString::to_string)
            ),
            SeedErrorKind::NoSeed => tr!(errors(), "sign-key-no-seed", path = path),
        };
        ErrorKind::Usage.error(message).caused_by(e)
    })
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// How long messages are kept for agents that were offline
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "24h")]
    pub retention: Duration,

    /// Copies of the stream in a NATS cluster (1 to 5)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: u8,

    /// Size bound of the stream in bytes; the oldest messages go first
    #[arg(long, value_name = "BYTES", default_value_t = remote_message::stream::DEFAULT_MAX_BYTES)]
    pub max_bytes: i64,

    /// How long the ledger keeps what became of each send (publisher status)
    // In the long help only: the short help's columns stay as they were.
    #[arg(long, hide_short_help = true, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "30days")]
    pub ledger_retention: Duration,

    /// Size bound of the ledger in bytes; the oldest rows go first
    #[arg(long, hide_short_help = true, value_name = "BYTES", default_value_t = remote_message::ledger::DEFAULT_MAX_BYTES)]
    pub ledger_max_bytes: i64,
}

impl SetupArgs {
    /// The ledger as asked.
    pub fn ledger_settings(&self) -> LedgerSettings {
        LedgerSettings {
            retention: self.ledger_retention,
            replicas: self.replicas.into(),
            max_bytes: self.ledger_max_bytes,
        }
    }

    /// The stream as asked.
    pub fn settings(&self) -> StreamSettings {
        StreamSettings {
            retention: self.retention,
            replicas: self.replicas.into(),
            max_bytes: self.max_bytes,
        }
    }
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Only the sessions of this user, its name in any case; repeatable
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,

    /// Print a JSON array instead of a table; on failure, an error object
    /// (`{"error":{"exit_code","kind","message"}}`, docs/scripts.md)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The send's id, as `publisher send` printed it
    #[arg(value_name = "SEND_ID", value_parser = parse_send_id)]
    pub send: remote_message::SendId,

    /// Go on printing rows as they come, until every target answered (or,
    /// without answers, read) or --timeout passed (default 10m)
    #[arg(long)]
    pub follow: bool,

    /// Print one JSON object (at the end, with --follow); on failure, an
    /// error object (`{"error":{"exit_code","kind","message"}}`, docs/scripts.md)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RecallArgs {
    /// The send's id, as `publisher send` printed it
    #[arg(value_name = "SEND_ID", value_parser = parse_send_id)]
    pub send: remote_message::SendId,

    /// Who recalls it [default: user@host]
    #[arg(long, value_name = "NAME")]
    pub sender: Option<String>,

    /// Sign the recall order with the seed in FILE, for agents started
    /// with --trust (they ignore an unsigned one)
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<std::path::PathBuf>,

    /// Wait up to DUR (default 10s) for each targeted session to report
    /// the recall: taken down, or never shown
    #[arg(
        long,
        value_name = "DUR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = DEFAULT_RECALL_WAIT_TEXT.as_str(),
        value_parser = humantime::parse_duration
    )]
    pub wait: Option<Duration>,

    /// Print one JSON object; on failure, an error object
    /// (`{"error":{"exit_code","kind","message"}}`, docs/scripts.md)
    #[arg(long)]
    pub json: bool,
}

impl StatusArgs {
    /// How long `--follow` goes on: the global `--timeout`, else 10 minutes.
    pub fn follow_within(&self, timeout: Option<Duration>) -> Option<Duration> {
        self.follow.then(|| timeout.unwrap_or(DEFAULT_FOLLOW))
    }
}

impl RecallArgs {
    /// The recall as asked: the key loaded, the sender defaulted.
    pub fn request(self) -> Result<recall::Request, Error> {
        let sign_key = self.sign_key.as_deref().map(sign_key).transpose()?;
        Ok(recall::Request {
            send: self.send,
            sender: self.sender.unwrap_or_else(identity::user_at_host),
            sign_key,
            wait: self.wait,
        })
    }
}

/// `--remind`: a duration of at least one second.
fn parse_remind(raw: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(raw).map_err(|e| e.to_string())?;
    if every < Duration::from_secs(1) {
        return Err(format!(
            "{raw:?} is less than 1s: remind at most once a second"
        ));
    }
    Ok(every)
}

/// A send id: the session id alphabet, so derived message ids stay tokens.
fn parse_send_id(raw: &str) -> Result<remote_message::SendId, String> {
    remote_message::SendId::parse(raw)
        .map_err(|_| format!("{raw:?} is not 1 to 64 characters of A-Z a-z 0-9 _ -"))
}

/// Parses a command line, after [`join_wait_durations`].
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    Cli::try_parse_from(join_wait_durations(args))
}

/// `--wait 10s` is read as `--wait=10s` when the word after `--wait` is a
/// duration, so both `--wait MESSAGE` and `--wait 10s MESSAGE` mean what
/// they say.
///
/// Clap cannot say this itself: an option whose value may be left off
/// either takes the next word whatever it is (`num_args = 0..=1`, so
/// `--wait MESSAGE` fails to parse MESSAGE as a duration) or only ever
/// takes `=VALUE` (`require_equals`); it never looks at the word first
/// (clap-rs/clap#3030). Hence this one scan, the only one of the publisher.
pub fn join_wait_durations<I, T>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut joined = Vec::with_capacity(args.len());
    let mut rest = args.into_iter().peekable();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            joined.push(arg);
            joined.extend(rest.by_ref());
            break;
        }
        let duration_follows = rest
            .peek()
            .and_then(|next| next.to_str())
            .is_some_and(|next| humantime::parse_duration(next).is_ok());
        if arg == "--wait" && duration_follows {
            let mut merged = OsString::from("--wait=");
            merged.push(rest.next().expect("peeked"));
            joined.push(merged);
        } else {
            joined.push(arg);
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn send(args: &[&str]) -> SendArgs {
        let argv = ["publisher", "send"].iter().chain(args);
        match try_parse_from(argv).unwrap().command {
            Command::Send(send) => send,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn bad_session_ids_are_usage_errors() {
        for bad in ["", "a.b", "*", ">", "a b", "é", &"a".repeat(65)] {
            let err = try_parse_from(["publisher", "send", "--session", bad, "hi"]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn connection_flags_work_before_and_after_the_subcommand() {
        let a = try_parse_from(["publisher", "-s", "nats://h:1", "send", "x"]).unwrap();
        let b = try_parse_from(["publisher", "send", "x", "--server", "nats://h:1"]).unwrap();
        assert_eq!(a.common.connection.server, "nats://h:1");
        assert_eq!(b.common.connection.server, "nats://h:1");
    }

    #[test]
    fn wait_takes_an_optional_duration() {
        let s = send(&["--wait", "hello"]);
        assert_eq!(
            (s.wait, s.message.join(" ").as_str()),
            (Some(DEFAULT_RECEIPT_WAIT), "hello")
        );
        let s = send(&["--wait", "10s", "hello"]);
        assert_eq!(
            (s.wait, s.message.join(" ").as_str()),
            (Some(Duration::from_secs(10)), "hello")
        );
        let s = send(&["--wait=250ms", "hello"]);
        assert_eq!(s.wait, Some(Duration::from_millis(250)));
        let s = send(&["hello"]);
        assert_eq!((s.wait, s.no_wait), (None, false));
        let s = send(&["--", "--wait"]);
        assert_eq!(s.message, ["--wait"]);
        assert!(try_parse_from(["publisher", "send", "--wait", "--no-wait", "x"]).is_err());
    }

    /// ntfy's habits: `-t` is the title, `-p` the priority (ntfy's words
    /// and numbers too), and the words of the message may come unquoted,
    /// options among them; neither short flag is taken by another option.
    #[test]
    fn ntfy_short_flags_and_unquoted_words() {
        let s = send(&["-t", "Hello", "-p", "5", "hi", "there"]);
        assert_eq!(
            (s.title.as_deref(), s.priority, s.message.join(" ").as_str()),
            (Some("Hello"), Some(Priority::Urgent), "hi there")
        );
        let s = send(&["hi", "-p", "max", "there", "--session", "7f3a", "you"]);
        assert_eq!(s.message, ["hi", "there", "you"]);
        assert_eq!(s.sessions.len(), 1);
        assert!(try_parse_from(["publisher", "send"]).is_err(), "no words");
        let shorts: Vec<char> = Cli::command()
            .find_subcommand("send")
            .unwrap()
            .get_arguments()
            .filter_map(|a| a.get_short())
            .collect();
        for short in ['t', 'p'] {
            assert_eq!(
                shorts.iter().filter(|s| **s == short).count(),
                1,
                "-{short}"
            );
        }
    }

    /// Every option of `send` is decided: a settings file may hold it as a
    /// default for every send, or it targets or identifies one send and
    /// only the command line gives it (a new option fails here until it is
    /// put on one side). `user` is the login in a file.
    #[test]
    fn every_send_option_is_a_default_or_one_run_only() {
        let defaults = ["title", "priority", "sender", "ttl", "sign-key"];
        let command = Cli::command();
        let send = command.find_subcommand("send").unwrap();
        for long in send.get_arguments().filter_map(|a| a.get_long()) {
            let decided = ONE_RUN.contains(&long) || defaults.contains(&long) || long == "user";
            assert!(decided, "send --{long}: a default or one run only?");
            assert!(
                !(ONE_RUN.contains(&long) && defaults.contains(&long)),
                "{long}"
            );
        }
        assert!(command
            .get_arguments()
            .any(|a| a.get_long() == Some("user")));
    }

    /// `--json` on a command line clap refuses is found anywhere before
    /// `--`, never after it (there it is the message text).
    #[test]
    fn json_is_asked_for_before_the_separator_only() {
        let argv = |words: &[&str]| -> Vec<OsString> { words.iter().map(OsString::from).collect() };
        assert!(asks_for_json(&argv(&[
            "publisher",
            "send",
            "--json",
            "--bogus",
            "x"
        ])));
        assert!(asks_for_json(&argv(&["publisher", "--json", "sessions"])));
        assert!(!asks_for_json(&argv(&[
            "publisher",
            "send",
            "--",
            "--json"
        ])));
        assert!(!asks_for_json(&argv(&[
            "publisher",
            "send",
            "--jsonx",
            "x"
        ])));
        let send = try_parse_from(["publisher", "send", "--json", "x"]).unwrap();
        let sessions = try_parse_from(["publisher", "sessions", "--json"]).unwrap();
        let setup = try_parse_from(["publisher", "setup"]).unwrap();
        assert!(send.command.json() && sessions.command.json());
        assert!(!setup.command.json());
    }

    /// A send's options resolve into its request: the words joined, the
    /// sender and send id defaulted, the wait decided; a blank `--user` is
    /// reported before an unreadable `--sign-key`, as they come in order.
    #[test]
    fn send_options_resolve_into_a_request() {
        use remote_message_cli::lang::{errors_in, Lang};
        let r = send(&["hi", "there"]).request().unwrap();
        assert_eq!((r.text.as_str(), r.wait), ("hi there", WaitPolicy::Default));
        assert!(r.sender.contains('@') && !r.id.as_str().is_empty(), "{r:?}");
        let wait = |args: &[&str]| send(args).request().unwrap().wait;
        assert_eq!(wait(&["--no-wait", "x"]), WaitPolicy::Never);
        let two_seconds = WaitPolicy::Within(Duration::from_secs(2));
        assert_eq!(wait(&["--wait=2s", "x"]), two_seconds);
        let both = send(&["--user", " ", "--sign-key", "/nonexistent/key.nk", "x"]);
        let error = errors_in(Lang::En, || both.request().unwrap_err().to_string());
        assert!(error.starts_with("--user \" \" is empty"), "{error}");
    }

    /// `--answer` is repeatable and checked before anything is sent (a
    /// bad list is a usage error, exit 2); `--remind` takes a duration of
    /// at least a second.
    #[test]
    fn answers_and_reminders_are_checked() {
        let r = send(&[
            "--answer", " Yes ", "--answer", "No", "--remind", "10m", "x",
        ])
        .request()
        .unwrap();
        assert_eq!(r.asks.answers.labels(), ["Yes", "No"]);
        assert_eq!(r.asks.remind, Some(Duration::from_secs(600)));
        for bad in [
            &["--answer", "Yes", "--answer", "yes", "x"][..],
            &["--answer", " ", "x"],
            &[
                "--answer", "a", "--answer", "b", "--answer", "c", "--answer", "d", "--answer",
                "e", "--answer", "f", "x",
            ],
        ] {
            let error = send(bad).request().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Usage, "{bad:?}");
        }
        for bad in ["500ms", "0s", "soon"] {
            let err = try_parse_from(["publisher", "send", "--remind", bad, "x"]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    /// `status` takes a send id, `--follow` bounded by the global
    /// `--timeout` (default 10 minutes); `recall --wait` an optional
    /// duration (default 10s), `--wait 3s` as well as `--wait=3s`.
    #[test]
    fn status_and_recall_options() {
        let parsed = try_parse_from(["publisher", "status", "s1", "--follow", "--timeout", "30m"]);
        let Command::Status(status) = parsed.unwrap().command else {
            panic!("status")
        };
        assert_eq!(status.send.as_str(), "s1");
        assert_eq!(status.follow_within(None), Some(DEFAULT_FOLLOW));
        assert_eq!(
            status.follow_within(Some(Duration::from_secs(5))),
            Some(Duration::from_secs(5))
        );
        assert!(try_parse_from(["publisher", "status", "a.b"]).is_err());
        let recall = |args: &[&str]| {
            let argv = ["publisher", "recall"].iter().chain(args);
            match try_parse_from(argv).unwrap().command {
                Command::Recall(recall) => recall.wait,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(recall(&["s1"]), None);
        assert_eq!(recall(&["s1", "--wait"]), Some(DEFAULT_RECALL_WAIT));
        assert_eq!(
            recall(&["--wait", "3s", "s1"]),
            Some(Duration::from_secs(3))
        );
        let json = try_parse_from(["publisher", "recall", "s1", "--json"]).unwrap();
        assert!(json.command.json());
    }

    #[test]
    fn send_ids_and_ttls_are_checked() {
        assert_eq!(
            send(&["--id", "batch-7", "x"])
                .id
                .as_ref()
                .map(|id| id.as_str()),
            Some("batch-7")
        );
        assert!(try_parse_from(["publisher", "send", "--id", "a.b", "x"]).is_err());
        assert_eq!(
            send(&["--ttl", "2h", "x"]).ttl,
            Some(Duration::from_secs(7200))
        );
        assert!(try_parse_from(["publisher", "send", "--ttl", "soon", "x"]).is_err());
    }
}
