//! Command-line values of contract types: the contract crate knows no
//! clap, so their parsers (accepted words, help per word) are built here
//! from what the contract says about each value.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use remote_message::Priority;

/// The parser of `--priority`: exactly the wire words, each listed in
/// `--help` with what it does on screen.
pub fn priority() -> impl TypedValueParser<Value = Priority> {
    PossibleValuesParser::new(
        Priority::ALL.map(|p| PossibleValue::new(p.as_str()).help(p.describe())),
    )
    .map(|word| {
        word.parse::<Priority>()
            .expect("the parser accepts only the wire words")
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
    /// included) is a usage error that lists the four words.
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
