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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message with a count says one or many through Fluent's plural
    /// rules, given the count as a number (as `tr!` passes `usize` and
    /// `i64` arguments): in English and Spanish 1 is `one` and 0 is
    /// `other`, in French 0 and 1 are `one`. Each counted message, with 1
    /// and with many, in each language.
    #[test]
    fn counted_messages_follow_each_languages_plural_rules() {
        let sessions = |lang, count: usize| tr!(lang, "session-count", count = count);
        let delivered = |lang, delivered: usize, expected: usize| {
            tr!(
                lang,
                "send-delivered",
                delivered = delivered,
                expected = expected
            )
        };
        let read = |lang, read: usize, delivered: usize| {
            tr!(lang, "send-read", read = read, delivered = delivered)
        };
        let ready = |lang, replicas: usize, bytes: i64| {
            tr!(
                lang,
                "stream-ready",
                stream = "S",
                retention = "1h",
                replicas = replicas,
                bytes = bytes
            )
        };
        let pushed = |lang, count: usize| tr!(lang, "admin-pushed", count = count, servers = "h");
        let not_confirmed = |lang, missing: usize, expected: usize| {
            tr!(
                lang,
                "not-confirmed",
                missing = missing,
                expected = expected,
                sessions = "a"
            )
        };
        let unfinished = |lang, done: usize, total: usize| {
            tr!(
                lang,
                "unfinished",
                within = "5s",
                stored = "yes",
                done = done,
                total = total,
                named = "x"
            )
        };
        let too_big = |lang, size: usize| tr!(lang, "message-too-big", size = size, max = 10);

        let en = Lang::En;
        assert_eq!(sessions(en, 1), "1 session");
        assert_eq!(sessions(en, 0), "0 sessions");
        assert_eq!(delivered(en, 1, 1), "delivered to 1 of 1 session");
        assert_eq!(delivered(en, 2, 3), "delivered to 2 of 3 sessions");
        assert_eq!(read(en, 1, 1), "read by 1 of 1 delivered");
        assert_eq!(read(en, 0, 2), "read by 0 of 2 delivered");
        assert!(ready(en, 1, 1).ends_with("; retention 1h; 1 replica; max 1 byte"));
        assert!(ready(en, 3, 1 << 30).ends_with("; 3 replicas; max 1073741824 bytes"));
        assert_eq!(pushed(en, 1), "pushed 1 session account to h");
        assert_eq!(pushed(en, 2), "pushed 2 session accounts to h");
        assert_eq!(not_confirmed(en, 1, 1), "1 of 1 session did not confirm: a");
        assert_eq!(
            not_confirmed(en, 2, 3),
            "2 of 3 sessions did not confirm: a"
        );
        assert!(unfinished(en, 0, 1).contains(" storing 0 of 1 message; "));
        assert!(unfinished(en, 2, 3).contains(" storing 2 of 3 messages; "));
        assert!(too_big(en, 1).starts_with("the message is 1 byte on the wire"));
        assert!(too_big(en, 2000).starts_with("the message is 2000 bytes on the wire"));

        let es = Lang::Es;
        assert_eq!(sessions(es, 1), "1 sesión");
        assert_eq!(sessions(es, 0), "0 sesiones");
        assert_eq!(delivered(es, 1, 1), "entregado a 1 de 1 sesión");
        assert_eq!(delivered(es, 2, 3), "entregado a 2 de 3 sesiones");
        assert_eq!(read(es, 1, 1), "leído por 1 de 1 entregado");
        assert_eq!(read(es, 0, 2), "leído por 0 de 2 entregados");
        assert!(ready(es, 1, 1).ends_with("; retención 1h; 1 réplica; máximo 1 byte"));
        assert!(ready(es, 3, 1 << 30).ends_with("; 3 réplicas; máximo 1073741824 bytes"));
        assert_eq!(pushed(es, 1), "1 cuenta de sesión enviada a h");
        assert_eq!(pushed(es, 2), "2 cuentas de sesión enviadas a h");
        assert_eq!(not_confirmed(es, 1, 1), "1 de 1 sesión no confirmó: a");
        assert_eq!(not_confirmed(es, 1, 3), "1 de 3 sesiones no confirmó: a");
        assert_eq!(not_confirmed(es, 2, 3), "2 de 3 sesiones no confirmaron: a");
        assert!(unfinished(es, 0, 1).contains(" guardado 0 de 1 mensaje; "));
        assert!(unfinished(es, 2, 3).contains(" guardado 2 de 3 mensajes; "));
        assert!(too_big(es, 1).starts_with("el mensaje ocupa 1 byte en la red"));
        assert!(too_big(es, 2000).starts_with("el mensaje ocupa 2000 bytes en la red"));

        let fr = Lang::Fr;
        assert_eq!(sessions(fr, 0), "0 session");
        assert_eq!(sessions(fr, 1), "1 session");
        assert_eq!(sessions(fr, 2), "2 sessions");
        assert_eq!(delivered(fr, 1, 1), "remis à 1 session sur 1");
        assert_eq!(delivered(fr, 0, 1), "remis à 0 session sur 1");
        assert_eq!(delivered(fr, 2, 3), "remis à 2 sessions sur 3");
        assert_eq!(read(fr, 1, 1), "lu par 1 sur 1 remis");
        assert_eq!(read(fr, 0, 2), "lu par 0 sur 2 remis");
        assert!(ready(fr, 1, 1).ends_with(" ; rétention 1h ; 1 réplica ; max 1 octet"));
        assert!(ready(fr, 3, 1 << 30).ends_with(" ; 3 réplicas ; max 1073741824 octets"));
        assert_eq!(pushed(fr, 1), "1 compte de session envoyé à h");
        assert_eq!(pushed(fr, 2), "2 comptes de session envoyés à h");
        assert_eq!(
            not_confirmed(fr, 1, 1),
            "1 session sur 1 n'a pas confirmé : a"
        );
        assert_eq!(
            not_confirmed(fr, 2, 3),
            "2 sessions sur 3 n'ont pas confirmé : a"
        );
        assert!(unfinished(fr, 1, 3).contains(" l'enregistrement de 1 message sur 3 ; "));
        assert!(unfinished(fr, 2, 3).contains(" l'enregistrement de 2 messages sur 3 ; "));
        assert!(too_big(fr, 1).starts_with("le message fait 1 octet sur le réseau"));
        assert!(too_big(fr, 2000).starts_with("le message fait 2000 octets sur le réseau"));
    }
}
