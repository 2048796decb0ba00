//! What an agent remembers across restarts, in its state directory: its
//! session id and up to when it has seen messages, so a restarted agent shows what
//! it missed, each message once.
//!
//! Layout of `--state-dir` (default: the user's state directory):
//! - `default-session`: the id of the agent started without `--session-id`;
//! - `<id>.json`: that session's state, rewritten atomically (temp + rename)
//!   at start and every [`RECENT_CAPACITY`] messages;
//! - `<id>.journal`: one JSON line appended per message shown since then
//!   (its id and the position), so showing a message costs one small write,
//!   not a rewrite of 10,000 ids. A process killed at any instant loses no
//!   line it wrote (the kernel keeps it); a machine that loses power may lose
//!   the last few, which then show again;
//! - `<id>.xkey`: that session's sealing key (a secret: mode 0600);
//! - `<id>.lock`: held (flock) while an agent runs as `<id>`, so two agents
//!   never share or corrupt one state.
//!
//! All of it is private (what was shown, and the sealing key): the directory
//! is made 0700 and every file is created 0600 on unix (a private DACL on
//! Windows, see `remote_message_cli::files`), whatever the umask. What an
//! earlier version, or a wider umask, left readable by others is tightened at
//! start, with one warning (`state_made_private`).

use jiff::Timestamp;
use remote_message::keys::SeedErrorKind;
use remote_message::{sealing, SessionId};
use remote_message_cli::files;
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing::warn;

/// How many recently shown message ids are kept for de-duplication.
pub const RECENT_CAPACITY: usize = 10_000;

/// The persisted part of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub session_id: SessionId,
    /// When this state was first created: older messages without a ttl are
    /// history this session never had to see.
    pub created_at: Timestamp,
    /// Up to when messages were seen: the last message shown, or the last
    /// moment the live subscriptions were known good.
    pub last_seen: Timestamp,
    /// Ids of recently shown messages, oldest first.
    pub recent: VecDeque<String>,
}

impl State {
    pub fn new(session_id: SessionId) -> State {
        let now = Timestamp::now();
        State {
            session_id,
            created_at: now,
            last_seen: now,
            recent: VecDeque::new(),
        }
    }
}

/// Ids already shown, for exactly-once display across the live path,
/// catch-up and restarts. Bounded: the oldest ids fall out first. Each id is
/// stored once, shared by the set and the queue; the hasher is seeded per
/// process (ids come from the wire), and faster than SipHash.
#[derive(Debug, Default)]
pub struct Seen {
    ids: HashSet<Arc<str>, foldhash::fast::RandomState>,
    order: VecDeque<Arc<str>>,
}

impl Seen {
    pub fn from_recent<'a>(recent: impl IntoIterator<Item = &'a str>) -> Seen {
        let mut seen = Seen::default();
        for id in recent {
            seen.insert(id);
        }
        seen
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Records `id`; false when it was already there.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() == RECENT_CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
        let id: Arc<str> = Arc::from(id);
        self.ids.insert(id.clone());
        self.order.push_back(id);
        true
    }

    /// The ids, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(|id| &**id)
    }
}

/// One line of the journal: a message shown (or, without `id`, only the
/// position moved) and the position to resume from.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    last_seen: Timestamp,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    id: Option<std::borrow::Cow<'a, str>>,
}

/// Why the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "state dir {0}: {1}: check the path and its permissions, or choose another --state-dir"
    )]
    Io(PathBuf, std::io::Error),
    #[error(
        "another agent already runs as session {0} with state dir {1}: stop it, or give this \
         one another --session-id or --state-dir"
    )]
    InUse(SessionId, PathBuf),
}

/// A session's state file and journal, locked for this process.
pub struct StateFile {
    path: PathBuf,
    _lock: File,
    pub state: State,
    /// True when there was no usable state: a brand-new session.
    pub fresh: bool,
    /// Appended to after each message shown; `None` after a write failed.
    journal: Option<File>,
    /// Lines in the journal since the last snapshot.
    journal_lines: usize,
}

/// The default state directory, `remote-message` in the user's state dir
/// where the OS has one (Linux: `$XDG_STATE_HOME`, else `~/.local/state`),
/// else in the local data dir: `~/Library/Application Support` on macOS,
/// `%LOCALAPPDATA%` on Windows (local, not roaming: the session id belongs
/// to this machine).
pub fn default_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("remote-message"))
}

/// The default session remembered in `dir`, if any (read without a lock).
pub fn default_session(dir: &Path) -> Option<SessionId> {
    fs::read_to_string(dir.join("default-session"))
        .ok()
        .and_then(|s| SessionId::parse(s.trim()).ok())
}

impl StateFile {
    /// Opens (or creates) the state of `explicit`, or of this directory's
    /// default session. A corrupt state file is reported and replaced.
    pub fn open(dir: &Path, explicit: Option<SessionId>) -> Result<StateFile, StateError> {
        let io = |e| StateError::Io(dir.to_owned(), e);
        let dir_tightened = files::create_private_dir(dir).map_err(io)?;
        let default_file = dir.join("default-session");
        let (id, lock) = match explicit {
            Some(id) => {
                let lock = try_lock(dir, &id)?
                    .ok_or_else(|| StateError::InUse(id.clone(), dir.to_owned()))?;
                (id, lock)
            }
            None => {
                let remembered = default_session(dir);
                match remembered {
                    Some(id) => match try_lock(dir, &id)? {
                        Some(lock) => (id, lock),
                        // The default session is running already: this is a second agent.
                        None => fresh_session(dir)?,
                    },
                    None => {
                        let (id, lock) = fresh_session(dir)?;
                        files::write_private(&default_file, id.as_str().as_bytes()).map_err(io)?;
                        (id, lock)
                    }
                }
            }
        };
        make_private(dir, &id, dir_tightened);
        let path = dir.join(format!("{id}.json"));
        let loaded = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<State>(&bytes) {
                Ok(state) if state.session_id == id => Some(state),
                Ok(_) | Err(_) => {
                    warn!(
                        event = remote_message::Event::StateCorrupt.name(),
                        "state file {} is corrupt or not this session's: replacing it",
                        path.display()
                    );
                    None
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                warn!(
                    event = remote_message::Event::StateCorrupt.name(),
                    "cannot read state file {} ({e}): replacing it",
                    path.display()
                );
                None
            }
        };
        let fresh = loaded.is_none();
        let mut state = loaded.unwrap_or_else(|| State::new(id));
        let journal_path = path.with_extension("journal");
        replay(&journal_path, &mut state);
        let mut file = StateFile {
            path,
            _lock: lock,
            fresh,
            state,
            journal: None,
            journal_lines: 0,
        };
        // The journal is folded into a fresh snapshot, then starts empty:
        // a new file, private from its creation, appended to from then on.
        file.save();
        file.journal = files::write_private(&journal_path, b"")
            .and_then(|()| OpenOptions::new().append(true).open(&journal_path))
            .map_err(|e| {
                warn!(
                    "cannot open the journal {} ({e}): the state is saved whole after each message",
                    journal_path.display()
                )
            })
            .ok();
        Ok(file)
    }

    /// Remembers one message shown (`shown`) or only a new position: one
    /// line appended to the journal; a new snapshot once it holds as many
    /// lines as the snapshot keeps ids (`recent` is every id kept, oldest
    /// first, for that snapshot).
    pub fn record<'a>(
        &mut self,
        last_seen: Timestamp,
        shown: Option<&str>,
        recent: impl Iterator<Item = &'a str>,
    ) {
        self.state.last_seen = last_seen;
        let journaled = self.journal_lines < RECENT_CAPACITY
            && self.journal.as_mut().is_some_and(|journal| {
                let entry = Entry {
                    last_seen,
                    id: shown.map(Into::into),
                };
                let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
                line.push(b'\n');
                journal.write_all(&line).is_ok()
            });
        if journaled {
            self.journal_lines += 1;
            return;
        }
        self.state.recent = recent.map(str::to_owned).collect();
        self.save();
        if let Some(journal) = &self.journal {
            if journal.set_len(0).is_err() {
                self.journal = None; // appending to it could not be undone
            }
        }
        self.journal_lines = 0;
    }

    pub fn session_id(&self) -> &SessionId {
        &self.state.session_id
    }

    /// This session's sealing key, from `<id>.xkey` (mode 0600), made on first
    /// use. An unreadable or damaged key file is reported and replaced:
    /// messages sealed to the old key can no longer be opened.
    pub fn seal_key(&self) -> nkeys::XKey {
        let path = self.path.with_extension("xkey");
        match sealing::load_key(&path) {
            Ok(key) => return key,
            Err(e) if e.kind() == SeedErrorKind::NoSeed => warn!(
                "sealing key {} is damaged: making a new one",
                path.display()
            ),
            Err(_) => {} // none yet: made below
        }
        let key = nkeys::XKey::new();
        let seed = key.seed().expect("a new key has a seed");
        if let Err(e) = files::write_private(&path, seed.as_bytes()) {
            warn!(
                "cannot save the sealing key to {} ({e}): it lasts until the agent stops",
                path.display()
            );
        }
        key
    }

    /// Writes the snapshot; a failure is logged, never fatal.
    fn save(&self) {
        let bytes = serde_json::to_vec(&self.state).expect("state serializes");
        if let Err(e) = files::write_private(&self.path, &bytes) {
            warn!("cannot save state to {} ({e})", self.path.display());
        }
    }
}

/// Applies the journal's lines to the snapshot it follows. A line cut short
/// (the process died while writing it) or damaged is skipped.
fn replay(path: &Path, state: &mut State) {
    let Ok(file) = File::open(path) else {
        return;
    };
    let mut damaged = 0;
    for line in BufReader::new(file).split(b'\n') {
        let Ok(line) = line else { break };
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) => {
                state.last_seen = entry.last_seen;
                if let Some(id) = entry.id {
                    if state.recent.len() == RECENT_CAPACITY {
                        state.recent.pop_front();
                    }
                    state.recent.push_back(id.into_owned());
                }
            }
            Err(_) => damaged += 1,
        }
    }
    if damaged > 0 {
        warn!(
            "journal {}: skipped {damaged} damaged line(s)",
            path.display()
        );
    }
}

fn fresh_session(dir: &Path) -> Result<(SessionId, File), StateError> {
    loop {
        let id = SessionId::random();
        if let Some(lock) = try_lock(dir, &id)? {
            return Ok((id, lock));
        }
    }
}

/// Makes private what is already in the state directory `dir` for session
/// `id` (the directory itself was made private just before:
/// `dir_tightened`), and says what had to be tightened. Never fatal: a file
/// that cannot be changed is reported.
fn make_private(dir: &Path, id: &SessionId, dir_tightened: bool) {
    let mut tightened = Vec::new();
    if dir_tightened {
        tightened.push("the directory");
    }
    let own = ["json", "journal", "xkey", "lock"].map(|extension| format!("{id}.{extension}"));
    for name in own.iter().map(String::as_str).chain(["default-session"]) {
        match files::make_private(&dir.join(name)) {
            Ok(true) => tightened.push(name),
            Ok(false) => {}
            Err(e) => warn!(
                "cannot make {} private ({e}): others may read it",
                dir.join(name).display()
            ),
        }
    }
    if !tightened.is_empty() {
        warn!(
            event = remote_message::Event::StateMadePrivate.name(),
            dir = %dir.display(),
            "state dir {}: {} could be read by others; made private (directory 0700, files 0600)",
            dir.display(),
            tightened.join(", ")
        );
    }
}

/// The lock of session `id`, or `None` when another process holds it. A
/// missing lock file is created private; it is never replaced, since
/// another agent may hold a lock on it.
fn try_lock(dir: &Path, id: &SessionId) -> Result<Option<File>, StateError> {
    let path = dir.join(format!("{id}.lock"));
    let io = |e| StateError::Io(path.clone(), e);
    match files::create_private(&path, b"") {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(io(e)),
        _ => {}
    }
    let file = OpenOptions::new().write(true).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(StateError::Io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_is_remembered_and_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateFile::open(dir.path(), None).unwrap();
        let id = first.session_id().clone();
        // A second agent on the same dir gets its own session, not a shared one.
        let second = StateFile::open(dir.path(), None).unwrap();
        assert_ne!(second.session_id(), &id);
        drop((first, second));
        // Restarted, the default session comes back.
        assert_eq!(StateFile::open(dir.path(), None).unwrap().session_id(), &id);
    }

    #[test]
    fn explicit_session_in_use_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let alice: SessionId = "alice".parse().unwrap();
        let _held = StateFile::open(dir.path(), Some(alice.clone())).unwrap();
        assert!(matches!(
            StateFile::open(dir.path(), Some(alice)),
            Err(StateError::InUse(..))
        ));
    }

    #[test]
    fn state_survives_a_restart_and_corruption_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let bob: SessionId = "bob".parse().unwrap();
        let mut file = StateFile::open(dir.path(), Some(bob.clone())).unwrap();
        file.state.recent.push_back("m1".into());
        file.save();
        let saved = file.state.clone();
        drop(file);
        assert_eq!(
            StateFile::open(dir.path(), Some(bob.clone()))
                .unwrap()
                .state,
            saved
        );

        fs::write(dir.path().join("bob.json"), b"{not json").unwrap();
        let file = StateFile::open(dir.path(), Some(bob)).unwrap();
        assert!(file.state.recent.is_empty());
    }

    /// Messages recorded one line each come back after a restart, in order,
    /// with the last position; a line cut short by a crash is skipped; past
    /// the capacity the journal is folded into a snapshot.
    #[test]
    fn journal_replays_after_a_restart_and_compacts() {
        let dir = tempfile::tempdir().unwrap();
        let carl: SessionId = "carl".parse().unwrap();
        let journal = dir.path().join("carl.journal");
        let mut seen = Seen::default();
        let mut file = StateFile::open(dir.path(), Some(carl.clone())).unwrap();
        let t0 = file.state.last_seen;
        for (i, id) in ["m1", "m2", "m3"].into_iter().enumerate() {
            seen.insert(id);
            let at = t0 + jiff::SignedDuration::from_secs(i as i64 + 1);
            file.record(at, Some(id), seen.recent());
        }
        let t_end = t0 + jiff::SignedDuration::from_secs(10);
        file.record(t_end, None, seen.recent());
        assert_eq!(fs::read_to_string(&journal).unwrap().lines().count(), 4);
        drop(file);
        // A crash in the middle of a line.
        let mut raw = OpenOptions::new().append(true).open(&journal).unwrap();
        raw.write_all(br#"{"last_seen":"2026-"#).unwrap();
        drop(raw);

        let file = StateFile::open(dir.path(), Some(carl.clone())).unwrap();
        assert_eq!(file.state.recent, ["m1", "m2", "m3"]);
        assert_eq!(file.state.last_seen, t_end);
        // Folded into the snapshot at start: the journal begins empty.
        assert_eq!(fs::read(&journal).unwrap().len(), 0);

        let mut file = file;
        let mut seen = Seen::from_recent(file.state.recent.iter().map(String::as_str));
        for i in 0..RECENT_CAPACITY + 5 {
            let id = format!("n{i}");
            seen.insert(&id);
            file.record(t_end, Some(&id), seen.recent());
        }
        let lines = fs::read_to_string(&journal).unwrap().lines().count();
        assert!(lines < 10, "journal not compacted: {lines} lines");
        drop(file);
        let file = StateFile::open(dir.path(), Some(carl)).unwrap();
        assert_eq!(file.state.recent.len(), RECENT_CAPACITY);
        assert_eq!(
            file.state.recent.back().map(String::as_str),
            Some(format!("n{}", RECENT_CAPACITY + 4).as_str())
        );
    }

    #[test]
    fn seen_is_bounded_and_keeps_the_newest() {
        let mut seen = Seen::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        for i in 0..RECENT_CAPACITY {
            seen.insert(&i.to_string());
        }
        assert!(!seen.contains("a"));
        assert!(seen.contains(&(RECENT_CAPACITY - 1).to_string()));
        assert_eq!(seen.recent().count(), RECENT_CAPACITY);
    }
}
