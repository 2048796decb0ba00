//! Windows: a value of the user's `Run` key,
//! `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, named
//! `remote-message subscriber`, whose data is the command line Explorer
//! runs at each logon in the user's own session. Not a service: services
//! run in session 0, where no notification can show.
//!
//! A console program started that way gets a console window of its own.
//! The entry therefore adds `--background`: with `--output desktop` or
//! `auto` the agent appends its log (stderr and stdout) to
//! `%LOCALAPPDATA%\remote-message\logs\subscriber.log` and lets go of the
//! console, whose window closes (it shows for a moment at logon). With
//! `terminal` or `json` the window stays: it is where the messages show.

use super::plan::{Entry, Error, Kind, NativeStep, Plan, BACKGROUND};

/// The key, under `HKEY_CURRENT_USER`.
pub const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";

/// The value's name under [`RUN_KEY`].
pub const VALUE_NAME: &str = "remote-message subscriber";

/// A change to the `Run` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Sets the value (`REG_SZ`) to this command line.
    SetRunValue(String),
    DeleteRunValue,
}

impl NativeStep for Change {
    fn preview(&self) -> String {
        match self {
            Change::SetRunValue(data) => {
                format!("would set HKCU\\{RUN_KEY}\\{VALUE_NAME} (REG_SZ) to:\n{data}\n")
            }
            Change::DeleteRunValue => {
                format!("would delete the value HKCU\\{RUN_KEY}\\{VALUE_NAME}\n")
            }
        }
    }
}

/// The command line the entry runs: the program in quotes, each argument
/// quoted as the C runtime and Rust's `std::env::args` split it back, and
/// [`BACKGROUND`] last (unless already given).
pub fn command_line(entry: &Entry) -> String {
    let mut line = format!("\"{}\"", entry.program);
    for arg in &entry.args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    if !entry.args.iter().any(|a| a == BACKGROUND) {
        line.push(' ');
        line.push_str(BACKGROUND);
    }
    line
}

/// One argument after the program, quoted for `CommandLineToArgvW` and the
/// C runtime's rules: as it is when it has no space, tab, newline or
/// quote; else in quotes, with each `"` and the backslashes just before it
/// (or before the closing quote) escaped.
pub fn quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\u{b}', '"']) {
        return arg.to_owned();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', 2 * backslashes + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', 2 * backslashes));
    out.push('"');
    out
}

/// Sets the `Run` value. The agent starts at the next logon; it is not
/// started now (an agent already running with other options would hold
/// the session's state): the outcome says how.
///
/// Refused while `machine` holds the machine-wide value of the same name,
/// under `HKLM\…\Run` (what the .msi installs): it starts the agent for
/// every user already, and a user's own entry would start a second one.
pub fn install_plan_with(entry: &Entry, machine: Option<&str>) -> Result<Plan<Change>, Error> {
    if let Some(machine) = machine {
        return Err(Error::with_context(
            Kind::Refused,
            format!(
                "this machine already starts the agent at every user's logon (HKLM\\{RUN_KEY}\\\
                 {VALUE_NAME} = {machine}, from the .msi): a per-user entry would start a second \
                 agent. Put your own options in your settings file \
                 (%APPDATA%\\remote-message\\subscriber.toml), which that agent reads, or ask \
                 IT to remove the .msi first"
            ),
        ));
    }
    let line = command_line(entry);
    Ok(Plan {
        steps: vec![super::plan::Step::Native(Change::SetRunValue(line.clone()))],
        outcome: format!(
            "installed: the agent starts at your next logon (its log: \
             %LOCALAPPDATA%\\remote-message\\logs\\subscriber.log); to start it now, run: {line}"
        ),
    })
}

/// Deletes the `Run` value when there is one (`current`).
pub fn uninstall_plan_with(current: Option<&str>) -> Plan<Change> {
    match current {
        None => Plan {
            steps: Vec::new(),
            outcome: format!(
                "nothing to uninstall: there is no value {VALUE_NAME:?} under HKCU\\{RUN_KEY}"
            ),
        },
        Some(_) => Plan {
            steps: vec![super::plan::Step::Native(Change::DeleteRunValue)],
            outcome: "uninstalled: the agent no longer starts at logon (one running now runs \
                      until you log off)"
                .to_owned(),
        },
    }
}

#[cfg(windows)]
mod native {
    //! The registry and the console: Windows only.

    use super::{Change, RUN_KEY, VALUE_NAME};
    use crate::autostart::plan::{ApplyNative, Entry, Error, Kind, Plan};
    use std::io;
    use std::path::PathBuf;
    use windows_registry::{Key, CURRENT_USER, LOCAL_MACHINE};

    fn registry_error(what: &str, e: impl Into<io::Error>) -> Error {
        hive_error("HKCU", what, e)
    }

    fn hive_error(hive: &str, what: &str, e: impl Into<io::Error>) -> Error {
        let e: io::Error = e.into();
        Error::with_context(
            Kind::Registry,
            format!("cannot {what} {hive}\\{RUN_KEY}\\{VALUE_NAME}: {e}"),
        )
        .caused_by(e)
    }

    impl ApplyNative for Change {
        fn apply(&self) -> Result<String, Error> {
            match self {
                Change::SetRunValue(data) => {
                    let key = CURRENT_USER
                        .create(RUN_KEY)
                        .map_err(|e| registry_error("open", e))?;
                    key.set_string(VALUE_NAME, data)
                        .map_err(|e| registry_error("set", e))?;
                    Ok(format!("set HKCU\\{RUN_KEY}\\{VALUE_NAME} to: {data}"))
                }
                Change::DeleteRunValue => {
                    let key = CURRENT_USER
                        .options()
                        .write()
                        .open(RUN_KEY)
                        .map_err(|e| registry_error("open", e))?;
                    key.remove_value(VALUE_NAME)
                        .map_err(|e| registry_error("delete", e))?;
                    Ok(format!("deleted HKCU\\{RUN_KEY}\\{VALUE_NAME}"))
                }
            }
        }
    }

    /// The `Run` value now under `root` (`hive` names it), if there is one.
    fn run_value(root: &Key, hive: &str) -> Result<Option<String>, Error> {
        // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): no such key or value.
        const NOT_FOUND: i32 = 0x8007_0002_u32 as i32;
        let key = match root.open(RUN_KEY) {
            Ok(key) => key,
            Err(e) if e.code().0 == NOT_FOUND => return Ok(None),
            Err(e) => return Err(hive_error(hive, "open", e)),
        };
        match key.get_string(VALUE_NAME) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.code().0 == NOT_FOUND => Ok(None),
            Err(e) => Err(hive_error(hive, "read", e)),
        }
    }

    /// [`super::install_plan_with`], given the machine-wide value there is now.
    pub fn install_plan(entry: &Entry) -> Result<Plan<Change>, Error> {
        super::install_plan_with(entry, run_value(LOCAL_MACHINE, "HKLM")?.as_deref())
    }

    /// [`super::uninstall_plan_with`] the user's value there is now.
    pub fn uninstall_plan() -> Result<Plan<Change>, Error> {
        Ok(super::uninstall_plan_with(
            run_value(CURRENT_USER, "HKCU")?.as_deref(),
        ))
    }

    /// `--background`: appends stderr and stdout to
    /// `%LOCALAPPDATA%\remote-message\logs\subscriber.log` and frees the
    /// console (its window closes when no other process shares it).
    pub fn background() -> io::Result<Option<PathBuf>> {
        use std::os::windows::io::IntoRawHandle;
        use windows_sys::Win32::System::Console::{
            FreeConsole, SetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
        };
        let dir = dirs::data_local_dir()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no %LOCALAPPDATA%"))?
            .join("remote-message")
            .join("logs");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("subscriber.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        // Open for the life of the process: it is the std handles from now on.
        let handle = file.into_raw_handle();
        // SAFETY: `handle` is a valid file handle this process owns and
        // never closes; SetStdHandle only stores it, and Rust's std looks
        // the std handles up again on each write. FreeConsole takes no
        // pointer; it fails harmlessly when there is no console.
        unsafe {
            if SetStdHandle(STD_ERROR_HANDLE, handle) == 0
                || SetStdHandle(STD_OUTPUT_HANDLE, handle) == 0
            {
                return Err(io::Error::last_os_error());
            }
            FreeConsole();
        }
        Ok(Some(path))
    }
}

#[cfg(windows)]
pub use native::{background, install_plan, uninstall_plan};

#[cfg(test)]
mod tests {
    use super::*;

    /// How the C runtime (and Rust's `std::env::args` on Windows) splits a
    /// command line: the program up to the next space or between quotes;
    /// then arguments split on spaces and tabs outside quotes, `2n`
    /// backslashes before a quote giving `n` and a quote that toggles, `2n+1`
    /// giving `n` and a literal quote, `""` inside quotes a literal quote.
    fn split(line: &str) -> Vec<String> {
        let mut chars = line.chars().peekable();
        let mut program = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                program.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
                program.push(c);
            }
        }
        let mut argv = vec![program];
        loop {
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            if chars.peek().is_none() {
                return argv;
            }
            let mut arg = String::new();
            let mut quoted = false;
            while let Some(&c) = chars.peek() {
                match c {
                    ' ' | '\t' if !quoted => break,
                    '\\' => {
                        let mut n = 0;
                        while chars.next_if_eq(&'\\').is_some() {
                            n += 1;
                        }
                        if chars.peek() == Some(&'"') {
                            arg.extend(std::iter::repeat_n('\\', n / 2));
                            if n % 2 == 1 {
                                arg.push('"');
                                chars.next();
                            }
                        } else {
                            arg.extend(std::iter::repeat_n('\\', n));
                        }
                    }
                    '"' => {
                        chars.next();
                        if quoted && chars.next_if_eq(&'"').is_some() {
                            arg.push('"');
                        } else {
                            quoted = !quoted;
                        }
                    }
                    c => {
                        arg.push(c);
                        chars.next();
                    }
                }
            }
            argv.push(arg);
        }
    }

    /// Arguments with spaces, quotes and backslashes in every position
    /// split back into themselves; plain ones are written as they are.
    #[test]
    fn arguments_are_quoted_so_they_split_back() {
        let tricky = [
            "--server=nats://h:4222",
            "--label=a b",
            "",
            r#"--label=say "hi""#,
            r"--state-dir=C:\Users\u\state dir\",
            r"--exec=C:\hooks\on-message.exe",
            r#"a\"b"#,
            r#"a\\"b"#,
            r"trailing\\",
            r#"\""#,
            "tab\there",
            "\"",
            "%APPDATA%",
        ];
        let entry = Entry {
            program: r"C:\Program Files\remote-message\subscriber.exe".into(),
            args: tricky.iter().map(|s| (*s).to_owned()).collect(),
        };
        let line = command_line(&entry);
        let mut expected = entry.argv();
        expected.push(BACKGROUND.to_owned());
        assert_eq!(split(&line), expected, "{line}");
        assert_eq!(quote("--output=desktop"), "--output=desktop");
        assert_eq!(quote(r"C:\a b\"), r#""C:\a b\\""#);
        assert_eq!(quote(r#"x"y"#), r#""x\"y""#);
    }

    /// The entry always carries `--background` once.
    #[test]
    fn the_command_line_carries_background_once() {
        let entry = |args: &[&str]| Entry {
            program: r"C:\bin\subscriber.exe".into(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(
            command_line(&entry(&["--output=desktop"])),
            r#""C:\bin\subscriber.exe" --output=desktop --background"#
        );
        assert_eq!(
            command_line(&entry(&["--background"])),
            r#""C:\bin\subscriber.exe" --background"#
        );
    }

    /// On a machine where the .msi's machine-wide entry starts the agent
    /// for every user, `install` writes nothing and exits 2, naming that
    /// entry and the settings file to use instead: a second entry would
    /// start a second agent at each logon.
    #[test]
    fn install_is_refused_beside_the_machine_wide_entry() {
        let entry = Entry {
            program: r"C:\Users\v\subscriber.exe".into(),
            args: vec!["--output=desktop".into()],
        };
        let machine = r#""C:\Program Files\Remote Message\subscriber.exe" --background"#;
        let error = install_plan_with(&entry, Some(machine)).unwrap_err();
        assert_eq!(error.kind(), Kind::Refused);
        assert_eq!(error.kind().exit_code(), remote_message_cli::exit::USAGE);
        let text = error.to_string();
        assert!(
            text.contains(&format!("HKLM\\{RUN_KEY}\\{VALUE_NAME} = {machine}")),
            "{text}"
        );
        assert!(
            text.contains(r"%APPDATA%\remote-message\subscriber.toml"),
            "{text}"
        );
    }

    /// Install sets the value (shown whole by `--print`); uninstall
    /// deletes it, or does nothing and says so when there is none.
    #[test]
    fn install_sets_the_run_value_and_uninstall_deletes_it() {
        let entry = Entry {
            program: r"C:\bin\subscriber.exe".into(),
            args: vec!["--server=nats://h:4222".into()],
        };
        let plan = install_plan_with(&entry, None).unwrap();
        assert_eq!(
            plan.preview().lines().take(2).collect::<Vec<_>>(),
            [
                r"would set HKCU\Software\Microsoft\Windows\CurrentVersion\Run\remote-message subscriber (REG_SZ) to:",
                r#""C:\bin\subscriber.exe" --server=nats://h:4222 --background"#,
            ]
        );
        let none = uninstall_plan_with(None);
        assert!(none.steps.is_empty());
        assert!(
            none.outcome.starts_with("nothing to uninstall"),
            "{}",
            none.outcome
        );
        let some = uninstall_plan_with(Some("x"));
        assert_eq!(
            some.steps,
            [super::super::plan::Step::Native(Change::DeleteRunValue)]
        );
    }
}
