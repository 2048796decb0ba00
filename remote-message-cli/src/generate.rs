//! Help that ships with the binaries: shell completions and man pages,
//! generated from the very clap definitions that parse the command line, so
//! they cannot drift from it (`publisher --generate man`,
//! `subscriber --generate complete-bash`, …).

use crate::i18n::tr;
use clap::{Command, ValueEnum};
use std::ffi::OsString;
use std::io::{self, Write};

/// What `--generate` writes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Bash completions, to save as ~/.local/share/bash-completion/completions/<binary>
    CompleteBash,
    /// Zsh completions, to save as _<binary> in a directory of $fpath
    CompleteZsh,
    /// Fish completions, to save as ~/.config/fish/completions/<binary>.fish
    CompleteFish,
    /// The man page (roff), to save as ~/.local/share/man/man1/<binary>.1
    Man,
}

/// The `--generate` option, flattened into both command lines.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Settings and help")]
pub struct GenerateArgs {
    /// Print shell completions or the man page and exit,
    /// e.g. --generate complete-bash, --generate man
    #[arg(long, value_name = "KIND", value_enum)]
    pub generate: Option<Kind>,
}

/// `--generate` given with a word that is not a [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl std::fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&tr!(
            "generate-unknown",
            kind = format!("{:?}", self.0),
            known = known_kinds().join(", ")
        ))
    }
}

impl std::error::Error for UnknownKind {}

fn known_kinds() -> Vec<String> {
    Kind::value_variants()
        .iter()
        .filter_map(|k| Some(k.to_possible_value()?.get_name().to_owned()))
        .collect()
}

/// What `argv` asks `--generate` for (before any `--`): `None` when it does
/// not ask. This is the one look at the raw arguments before clap parses
/// them: a generated file must not need what a command otherwise requires
/// (such as `publisher`'s subcommand), nor a usable settings file.
pub fn requested(argv: &[OsString]) -> Option<Result<Kind, UnknownKind>> {
    let mut words = argv.iter().skip(1).take_while(|a| *a != "--");
    let kind = loop {
        let word = words.next()?.to_str().unwrap_or_default();
        if word == "--generate" {
            break words.next().and_then(|k| k.to_str()).unwrap_or_default();
        }
        if let Some(kind) = word.strip_prefix("--generate=") {
            break kind;
        }
    };
    Some(Kind::from_str(kind, false).map_err(|_| UnknownKind(kind.to_owned())))
}

/// Writes `kind` for `command`.
pub fn write(mut command: Command, kind: Kind, out: &mut dyn Write) -> io::Result<()> {
    use clap_complete::Shell;
    let name = command.get_name().to_owned();
    let shell = match kind {
        Kind::CompleteBash => Shell::Bash,
        Kind::CompleteZsh => Shell::Zsh,
        Kind::CompleteFish => Shell::Fish,
        Kind::Man => return man(command, out),
    };
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

/// The command's man page, then one page per subcommand (`publisher-send`,
/// …) in the same stream, so one file documents every option.
fn man(mut command: Command, out: &mut dyn Write) -> io::Result<()> {
    command.build();
    clap_mangen::Man::new(command.clone()).render(out)?;
    let parent = command.get_name().to_owned();
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{parent}-{}", sub.get_name());
        let page = sub.clone().name(name.clone()).bin_name(name);
        clap_mangen::Man::new(page).render(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, CommandFactory, Parser};

    #[derive(Debug, Parser)]
    #[command(name = "toy", about = "A toy")]
    struct Toy {
        /// Where to connect, e.g. nats://h:4222
        #[arg(long)]
        server: Option<String>,
        #[command(flatten)]
        generate: GenerateArgs,
    }

    fn generated(kind: Kind) -> String {
        let mut out = Vec::new();
        let command = Toy::command().subcommand(
            Command::new("send")
                .about("Send it")
                .arg(Arg::new("title").long("title")),
        );
        write(command, kind, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Completions for each shell and the man page all name the options of
    /// the command and of its subcommands; the man page has one part each.
    #[test]
    fn every_kind_names_the_options() {
        for kind in [
            Kind::CompleteBash,
            Kind::CompleteZsh,
            Kind::CompleteFish,
            Kind::Man,
        ] {
            let text = generated(kind);
            assert!(text.contains("server"), "{kind:?}: {text}");
            assert!(text.contains("title"), "{kind:?}: {text}");
        }
        let man = generated(Kind::Man);
        assert!(
            man.contains(".TH toy") && man.contains(".TH toy-send"),
            "{man}"
        );
    }

    /// `--generate KIND` and `--generate=KIND` anywhere before `--` are
    /// requests; after `--` it is a message text; an unknown kind is named
    /// with the known ones.
    #[test]
    fn only_generate_requests_are_seen() {
        let argv = |words: &[&str]| -> Vec<OsString> { words.iter().map(Into::into).collect() };
        assert_eq!(requested(&argv(&["toy", "--server", "x"])), None);
        assert_eq!(requested(&argv(&["toy", "--", "--generate", "man"])), None);
        assert_eq!(
            requested(&argv(&["toy", "send", "--generate", "man"])),
            Some(Ok(Kind::Man))
        );
        assert_eq!(
            requested(&argv(&["toy", "--generate=complete-zsh"])),
            Some(Ok(Kind::CompleteZsh))
        );
        let bogus = requested(&argv(&["toy", "--generate=bogus"])).unwrap();
        assert_eq!(
            bogus.unwrap_err().to_string(),
            "--generate \"bogus\" is not one of: complete-bash, complete-zsh, complete-fish, man"
        );
        let missing = requested(&argv(&["toy", "--generate"])).unwrap();
        assert_eq!(missing, Err(UnknownKind(String::new())));
    }
}
