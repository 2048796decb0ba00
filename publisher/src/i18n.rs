//! What the publisher prints for people (the send report, the sessions
//! table, `setup` and `admin` lines) in English, Spanish or French: the
//! catalogue `i18n/<lang>/publisher.ftl`, [`tr!`] to look a text up, and the
//! language chosen for this run ([`set`], [`lang`]). `--json` output and the
//! log stay English. Error messages are built in [`errors`]'s language: the
//! chosen one, but English with `--log-format json`.

use remote_message_cli::lang::Lang;
use std::sync::OnceLock;

remote_message_cli::catalogue!();

/// The language error messages are built in (`remote_message_cli::lang::choose_errors`
/// decides it, for this crate's and remote-message-cli's errors alike).
pub use remote_message_cli::lang::errors;

/// The language of this run, set once by `main`.
static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// Chooses the language of this run's human output (first call wins).
pub fn set(lang: Lang) {
    let _ = CHOSEN.set(lang);
}

/// The language of this run's human output: English until [`set`].
pub fn lang() -> Lang {
    CHOSEN.get().copied().unwrap_or_default()
}

/// `tr!(lang, "key", name = value, …)`: the text `key` in `lang`; the key
/// and its variables are checked against the English catalogue at compile time.
macro_rules! tr {
    ($lang:expr, $($key_and_args:tt)*) => {
        i18n_embed_fl::fl!($crate::i18n::loader($lang), $($key_and_args)*)
    };
}
pub(crate) use tr;
