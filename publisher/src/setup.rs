//! `publisher setup`: create or update the stream, idempotently.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use remote_message::stream::{self, StreamErrorKind, StreamSettings, STREAM_NAME};
use remote_message_cli::connection::ConnectionArgs;

/// Creates the stream with `settings`, or updates it to them.
pub async fn run(connection: &ConnectionArgs, settings: StreamSettings) -> Result<(), Error> {
    let link = Link::open(connection).await?;
    let js = connection.jetstream(link.client.clone());
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
            Ok(())
        }
        Err(e) if e.kind() == StreamErrorKind::NoJetStream => Err(ErrorKind::Server.error(tr!(
            errors(),
            "no-jetstream",
            servers = connection.display_servers()
        ))),
        Err(e) => Err(link.server_failure(&tr!(errors(), "failed-creating-stream"), e)),
    }
}
