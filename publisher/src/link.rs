//! The publisher's connection: connect once, bounded by `--timeout`, and
//! notice errors the server reports asynchronously (e.g. a permissions
//! violation on publish, which core NATS never acknowledges).

use crate::Failure;
use async_nats::{Client, Event, ServerError};
use remote_message_cli::connection::ConnectionArgs;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to listen for a late `-ERR` after a flush, on servers that
/// require authentication (only those can refuse a publish).
const SERVER_ERROR_GRACE: Duration = Duration::from_millis(50);

pub struct Link<'a> {
    pub client: Client,
    pub args: &'a ConnectionArgs,
    server_errors: Arc<Mutex<Vec<String>>>,
}

impl<'a> Link<'a> {
    /// Connects, or fails with exit 2 (bad local options) or 3 (server).
    pub async fn open(args: &'a ConnectionArgs) -> Result<Link<'a>, Failure> {
        let options = args
            .options("publisher")
            .await
            .map_err(|e| Failure::usage(e.to_string()))?;
        let server_errors = Arc::new(Mutex::new(Vec::new()));
        let sink = server_errors.clone();
        let options = options.event_callback(move |event| {
            let sink = sink.clone();
            async move {
                if let Event::ServerError(err) = event {
                    let text = match err {
                        ServerError::Other(text) => text,
                        other => other.to_string(),
                    };
                    sink.lock().expect("not poisoned").push(text);
                }
            }
        });
        let client = args
            .connect(options)
            .await
            .map_err(|e| Failure::server(e.to_string()))?;
        Ok(Link {
            client,
            args,
            server_errors,
        })
    }

    /// Flushes everything published so far and fails (exit 3) if the server
    /// did not take it or reported an error.
    pub async fn settle(&self) -> Result<(), Failure> {
        tokio::time::timeout(self.args.connect_timeout(), self.client.flush())
            .await
            .map_err(|_| {
                Failure::server(format!(
                    "NATS at {} did not confirm in time: the message may not have been sent",
                    self.args.display_servers()
                ))
            })?
            .map_err(|e| self.server_failure("flushing failed", e))?;
        if self.client.server_info().auth_required {
            tokio::time::sleep(SERVER_ERROR_GRACE).await;
        }
        self.refusal().map_or(Ok(()), Err)
    }

    /// A failure naming what the server refused (e.g. a permissions
    /// violation), if it refused anything so far.
    pub fn refusal(&self) -> Option<Failure> {
        let refused = self.server_errors.lock().expect("not poisoned").clone();
        (!refused.is_empty()).then(|| {
            Failure::server(format!(
                "NATS at {} refused the request: {}",
                self.args.display_servers(),
                refused.join("; ")
            ))
        })
    }

    /// An exit-3 failure for a NATS error, with secrets scrubbed.
    pub fn server_failure(&self, what: &str, err: impl std::fmt::Display) -> Failure {
        Failure::server(self.args.scrub(&format!("{what}: {err}")))
    }
}
