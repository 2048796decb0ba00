//! `publisher setup`: create or update the stream and the ledger, idempotently.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use remote_message::ledger::{self, LedgerSettings};
use remote_message::stream::{self, StreamErrorKind, StreamSettings, STREAM_NAME};
use remote_message_cli::connection::ConnectionArgs;

/// Creates the stream with `settings` and the ledger with `ledger`, or
/// updates them to these.
pub async fn run(
    connection: &ConnectionArgs,
    settings: StreamSettings,
    ledger: LedgerSettings,
) -> Result<(), Error> {
    let link = Link::open(connection).await?;
    let js = connection.jetstream(link.client.clone());
    let no_jetstream = || {
        ErrorKind::Server.error(tr!(
            errors(),
            "no-jetstream",
            servers = connection.display_servers()
        ))
    };
    match stream::create_or_update(&js, &settings).await {
        Ok(()) => {
            let ready = tr!(
                crate::i18n::lang(),
                "stream-ready",
                stream = STREAM_NAME,
                retention = humantime::format_duration(settings.retention).to_string(),
                replicas = settings.replicas,
                bytes = settings.max_bytes
            );
            println!("{ready}");
        }
        Err(e) if e.kind() == StreamErrorKind::NoJetStream => return Err(no_jetstream()),
        Err(e) => return Err(link.server_failure(&tr!(errors(), "failed-creating-stream"), e)),
    }
    match ledger::create_or_update(&js, &ledger).await {
        Ok(()) => {
            let ready = tr!(
                crate::i18n::lang(),
                "ledger-ready",
                stream = ledger::STREAM_NAME,
                retention = humantime::format_duration(ledger.retention).to_string(),
                bytes = ledger.max_bytes
            );
            println!("{ready}");
            Ok(())
        }
        Err(e) if e.kind() == StreamErrorKind::NoJetStream => Err(no_jetstream()),
        Err(e) => Err(link.server_failure(&tr!(errors(), "failed-creating-stream"), e)),
    }
}
