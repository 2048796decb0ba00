//! The agent's own words (a notification's title when the message has none,
//! the OK button, the terminal block's header and footer) in English, Spanish
//! or French: the catalogue `i18n/<lang>/subscriber.ftl`, and [`tr!`] to look
//! a text up in a language. Its log lines and JSON output stay English.

remote_message_cli::catalogue!();

/// `tr!(lang, "key", name = value, …)`: the text `key` in `lang`; the key
/// and its variables are checked against the English catalogue at compile time.
macro_rules! tr {
    ($lang:expr, $($key_and_args:tt)*) => {
        i18n_embed_fl::fl!($crate::i18n::loader($lang), $($key_and_args)*)
    };
}
pub(crate) use tr;
