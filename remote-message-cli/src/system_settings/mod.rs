//! System-wide settings: what IT sets once per machine for all its users
//! (the fleet's server, where the creds file is, the output, the language),
//! so that a package can configure the agent before anyone logs on. They
//! are the lowest layer a person or a package sets: the command line, then
//! the environment, the user's own settings file, a `nats` context, these,
//! and last the built-in defaults. Same keys as a settings file
//! ([`crate::config`]), checked the same way, errors naming where they are.
//!
//! Where they are is each OS's own place (one file per OS here):
//! - Linux and other unix: `/etc/remote-message/<binary>.toml`;
//! - macOS: `/Library/Application Support/remote-message/<binary>.toml`;
//! - Windows: the values of `HKEY_LOCAL_MACHINE\SOFTWARE\remote-message\<binary>`,
//!   each named like a key (what the .msi's properties write, and what
//!   Group Policy can set); a string value each, a multi-string for a list.
//!
//! [`SYSTEM_CONFIG_VAR`] names a TOML file to read instead (empty: none),
//! for tests and unusual layouts.
//!
//! A group given above is not mixed with the system's: any credential the
//! user gave takes the place of all the system's, either half of the client
//! certificate of both ([`crate::context::shadowed`], as for a context).

use crate::config::{self, ConfigError, File, Layered, OneRun, Settings};
use clap::Command;
use std::path::PathBuf;

#[cfg(all(unix, not(target_os = "macos")))]
mod unix;
#[cfg(all(unix, not(target_os = "macos")))]
use unix as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

/// The variable naming a TOML file read in place of the system-wide
/// settings; empty, none are read.
pub const SYSTEM_CONFIG_VAR: &str = "REMOTE_MESSAGE_SYSTEM_CONFIG";

/// System-wide settings as read: where from, and the keys and values.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file, or on Windows the registry key (`HKEY_LOCAL_MACHINE\…`).
    pub place: PathBuf,
    /// The file's text, for errors that say where a key is (empty for the
    /// registry, whose values have no line).
    pub text: String,
    pub table: toml::Table,
}

/// Where `binary`'s system-wide settings are on this OS, as help and
/// errors name it.
pub fn place(binary: &str) -> PathBuf {
    os::place(binary)
}

/// `binary`'s system-wide settings: from [`SYSTEM_CONFIG_VAR`]'s file
/// when it is set (which must then exist), else from this OS's place,
/// where nothing at all is fine.
pub fn read(binary: &str) -> Result<Option<Source>, ConfigError> {
    match std::env::var_os(SYSTEM_CONFIG_VAR) {
        Some(path) if path.is_empty() => Ok(None),
        Some(path) => read_file(PathBuf::from(path), true),
        None => os::read(binary),
    }
}

/// The TOML file at `place` (`explicit`: it must exist).
fn read_file(place: PathBuf, explicit: bool) -> Result<Option<Source>, ConfigError> {
    let Some(text) = config::read_text(&place, explicit)? else {
        return Ok(None);
    };
    let table = config::parse_toml(&place, &text)?;
    Ok(Some(Source { place, text, table }))
}

/// Adds the system-wide settings (read by [`read`] for `command`'s
/// binary) to `layered` for what no layer above gave.
pub fn layer(
    command: &mut Command,
    layered: Layered,
    one_run: OneRun,
) -> Result<Layered, ConfigError> {
    let source = read(command.get_name())?;
    layer_from(command, layered, one_run, source)
}

/// [`layer`] with the settings already read (the tests hand their own).
pub(crate) fn layer_from(
    command: &mut Command,
    mut layered: Layered,
    one_run: OneRun,
    source: Option<Source>,
) -> Result<Layered, ConfigError> {
    let Some(Source {
        place,
        text,
        mut table,
    }) = source
    else {
        return Ok(layered);
    };
    let Some(matches) = layered.take_matches_to_layer(command) else {
        return Ok(layered);
    };
    table.retain(|key, _| {
        let id = config::option_id(command, &matches, key);
        !id.is_some_and(|id| crate::context::shadowed(&matches, &id))
    });
    let file = File {
        path: &place,
        text: &text,
        one_run,
    };
    let settings = Settings::read(command, &matches, &file, table)?;
    let keys = settings.splice_into(&mut layered.argv);
    if keys.is_empty() {
        layered.matches = Some(matches);
    } else {
        layered.system = Some(place);
        layered.system_keys = keys;
        layered.forget_matches();
    }
    Ok(layered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use std::ffi::OsString;

    /// A command line shaped like the agent's connection options.
    #[derive(Debug, Parser)]
    #[command(name = "toy")]
    struct Toy {
        #[arg(long, default_value = "nats://default")]
        server: String,
        #[arg(long, default_value = "auto")]
        output: String,
        #[arg(long)]
        creds: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long, requires = "user")]
        password: Option<String>,
        #[arg(long = "label")]
        labels: Vec<String>,
        #[arg(long)]
        session: Option<String>,
        #[command(flatten)]
        config: crate::config::ConfigArgs,
    }

    /// The user's settings file (`user_toml`, none when empty) and the
    /// command line `args`, layered as at start-up, then the system's
    /// `system_toml`.
    fn parse(user_toml: &str, system_toml: &str, args: &[&str]) -> Result<(Toy, Layered), String> {
        let mut argv: Vec<OsString> = vec!["toy".into()];
        let user_file = tempfile::NamedTempFile::new().unwrap();
        if !user_toml.is_empty() {
            std::fs::write(user_file.path(), user_toml).unwrap();
            argv.extend(["--config".into(), user_file.path().into()]);
        }
        argv.extend(args.iter().map(OsString::from));
        let mut command = Toy::command();
        let layered =
            crate::config::layer(&mut command, argv, &["session"]).map_err(|e| e.to_string())?;
        let source = Source {
            place: PathBuf::from("/etc/remote-message/toy.toml"),
            text: system_toml.to_owned(),
            table: system_toml.parse().unwrap(),
        };
        let layered = layer_from(&mut command, layered, &["session"], Some(source))
            .map_err(|e| e.to_string())?;
        let toy = Toy::try_parse_from(&layered.argv).map_err(|e| e.to_string())?;
        Ok((toy, layered))
    }

    /// What the system sets applies when nothing above sets it; the user's
    /// file, then the command line, win over it; the keys it gave are
    /// named (for the note printed after a bad value).
    #[test]
    fn the_system_layer_is_under_the_users_file_and_the_command_line() {
        let system = "server = \"nats://fleet:4222\"\noutput = \"json\"\nlabel = [\"site=hq\"]\n";
        let (toy, layered) = parse("", system, &[]).unwrap();
        assert_eq!(
            (
                toy.server.as_str(),
                toy.output.as_str(),
                toy.labels.as_slice()
            ),
            ("nats://fleet:4222", "json", &["site=hq".to_owned()][..])
        );
        assert_eq!(layered.system_keys.len(), 3);
        assert_eq!(
            layered.system.as_deref(),
            Some(std::path::Path::new("/etc/remote-message/toy.toml"))
        );
        let (toy, _) = parse("output = \"desktop\"\nlabel = [\"floor=2\"]", system, &[]).unwrap();
        assert_eq!(
            (
                toy.server.as_str(),
                toy.output.as_str(),
                toy.labels.as_slice()
            ),
            ("nats://fleet:4222", "desktop", &["floor=2".to_owned()][..]),
            "the user's file replaces a system list, it does not add to it"
        );
        let (toy, _) = parse("", system, &["--server", "nats://mine:4222"]).unwrap();
        assert_eq!(toy.server, "nats://mine:4222");
    }

    /// Credentials are all or nothing: a user's creds file keeps out the
    /// system's user and password (mixed, the connection would be neither),
    /// and a system password never joins a user's own user name.
    #[test]
    fn credentials_given_above_keep_out_all_the_systems() {
        let system = "user = \"fleet\"\npassword = \"s3cret\"\n";
        let (toy, layered) = parse("creds = \"/home/v/v.creds\"", system, &[]).unwrap();
        assert_eq!(
            (
                toy.creds.as_deref(),
                toy.user.as_deref(),
                toy.password.as_deref()
            ),
            (Some("/home/v/v.creds"), None, None)
        );
        assert!(layered.system_keys.is_empty(), "{:?}", layered.system_keys);
        let (toy, _) = parse("", system, &["--user", "vanessa"]).unwrap();
        assert_eq!(
            (toy.user.as_deref(), toy.password.as_deref()),
            (Some("vanessa"), None)
        );
        let (toy, _) = parse("", system, &[]).unwrap();
        assert_eq!(
            (toy.user.as_deref(), toy.password.as_deref()),
            (Some("fleet"), Some("s3cret"))
        );
    }

    /// The system file is checked like any settings file: a key that
    /// targets one run, or names no option, is refused, naming the file.
    #[test]
    fn a_bad_system_key_is_refused_naming_the_file() {
        for (system, expect) in [
            ("session = \"7f3a\"", "session"),
            ("sevrer = \"x\"", "server"),
        ] {
            let error = parse("", system, &[]).unwrap_err();
            assert!(error.contains("/etc/remote-message/toy.toml"), "{error}");
            assert!(error.contains(expect), "{error}");
        }
    }

    /// Without system-wide settings the command line stays as it was.
    #[test]
    fn nothing_is_layered_without_a_source() {
        let mut command = Toy::command();
        let argv: Vec<OsString> = vec!["toy".into()];
        let layered = crate::config::layer(&mut command, argv.clone(), &[]).unwrap();
        let layered = layer_from(&mut command, layered, &[], None).unwrap();
        assert_eq!(layered.argv, argv);
    }
}
