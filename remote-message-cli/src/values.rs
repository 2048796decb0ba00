//! Command-line values of contract types: the contract crate knows no
//! clap, so their parsers (accepted words, help per word) are built here
//! from what the contract says about each value, with the words people
//! bring from other tools (ntfy's priorities) mapped onto it.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use remote_message::Priority;

/// ntfy's priorities (`ntfy publish -p`), as the level each one is here:
/// ntfy has five (`1`/`min` to `5`/`max`/`urgent`), we have four, so its two
/// lowest are both `low`. `low`, `high` and `urgent` are also wire words.
pub const NTFY_PRIORITIES: [(&str, Priority); 8] = [
    ("min", Priority::Low),
    ("1", Priority::Low),
    ("2", Priority::Low),
    ("default", Priority::Normal),
    ("3", Priority::Normal),
    ("4", Priority::High),
    ("max", Priority::Urgent),
    ("5", Priority::Urgent),
];

/// The parser of `--priority`: the wire words, each listed in `--help` with
/// what it does on screen, and ntfy's words and numbers
/// ([`NTFY_PRIORITIES`]) as aliases of the level they map to.
pub fn priority() -> impl TypedValueParser<Value = Priority> {
    PossibleValuesParser::new(Priority::ALL.map(|p| {
        let ntfy = NTFY_PRIORITIES
            .iter()
            .filter(move |(_, level)| *level == p)
            .map(|(word, _)| *word);
        PossibleValue::new(p.as_str())
            .help(p.describe())
            .aliases(ntfy)
    }))
    .map(|word| {
        NTFY_PRIORITIES
            .iter()
            .find(|(ntfy, _)| *ntfy == word)
            .map(|(_, level)| *level)
            .unwrap_or_else(|| {
                word.parse::<Priority>()
                    .expect("the parser accepts only the wire words and ntfy's")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, Command};

    fn toy() -> Command {
        Command::new("toy").arg(
            Arg::new("priority")
                .long("priority")
                .value_name("LEVEL")
                .value_parser(priority()),
        )
    }

    /// Each wire word parses to its priority; any other word (another case
    /// included) is a usage error that lists the four words (ntfy's aliases
    /// are not listed).
    #[test]
    fn the_four_words_parse_and_others_are_refused() {
        for p in Priority::ALL {
            let m = toy()
                .try_get_matches_from(["toy", "--priority", p.as_str()])
                .unwrap();
            assert_eq!(m.get_one::<Priority>("priority"), Some(&p));
        }
        let err = toy()
            .try_get_matches_from(["toy", "--priority", "HIGH"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("[possible values: low, normal, high, urgent]"),
            "{err}"
        );
    }

    /// ntfy's words and numbers are the levels documented in
    /// [`NTFY_PRIORITIES`]; other numbers are refused.
    #[test]
    fn ntfy_words_and_numbers_map_onto_the_four_levels() {
        let parse = |word: &str| {
            toy()
                .try_get_matches_from(["toy", "--priority", word])
                .map(|m| *m.get_one::<Priority>("priority").unwrap())
        };
        let expected = [
            ("min", Priority::Low),
            ("1", Priority::Low),
            ("2", Priority::Low),
            ("low", Priority::Low),
            ("default", Priority::Normal),
            ("3", Priority::Normal),
            ("4", Priority::High),
            ("high", Priority::High),
            ("max", Priority::Urgent),
            ("5", Priority::Urgent),
            ("urgent", Priority::Urgent),
        ];
        for (word, level) in expected {
            assert_eq!(parse(word).unwrap(), level, "{word}");
        }
        for bad in ["0", "6", "MAX"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    /// `--help` explains every word with the contract's description.
    #[test]
    fn long_help_describes_every_word() {
        let help = toy().render_long_help().to_string();
        for p in Priority::ALL {
            assert!(help.contains(&format!("{}:", p.as_str())), "{help}");
            assert!(help.contains(p.describe()), "{help}");
        }
    }
}
