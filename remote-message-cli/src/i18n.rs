//! The error messages this crate builds (connection options, connecting,
//! settings files, nats contexts, TLS files) in English, Spanish or French:
//! the catalogue `i18n/<lang>/remote_message_cli.ftl`, and [`tr!`] to build a
//! text in the language [`crate::lang::errors`] says. The agent never
//! chooses one, so its errors (log lines) stay English.

crate::catalogue!();

/// `tr!("key", name = value, …)`: the text `key` in the language of this
/// process' errors; the key and its variables are checked against the
/// English catalogue at compile time.
macro_rules! tr {
    ($($key_and_args:tt)*) => {
        i18n_embed_fl::fl!($crate::i18n::loader($crate::lang::errors()), $($key_and_args)*)
    };
}
pub(crate) use tr;
