//! The publisher's connection: connect once, bounded by `--timeout`, and
//! notice errors the server reports asynchronously (e.g. a permissions
//! violation on publish, which core NATS never acknowledges). An agent's
//! creds are refused before connecting (`ConnectionArgs::check_creds_holder`).

use crate::error::{BoxError, Error, ErrorKind};
use crate::i18n::{errors, tr};
use async_nats::{Client, Event, ServerError};
use remote_message::sessions;
use remote_message_cli::connection::{ConnectionArgs, SetupError, SetupErrorKind};
use remote_message_cli::creds::Holder;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to listen for a late `-ERR` after a flush, on servers that
/// require authentication (only those can refuse a publish).
const SERVER_ERROR_GRACE: Duration = Duration::from_millis(50);

pub struct Link {
    pub client: Client,
    /// The options it was opened with (timeouts, addresses, secrets to scrub).
    pub args: ConnectionArgs,
    server_errors: Arc<Mutex<Vec<String>>>,
}

impl Link {
    /// Connects, or fails with a usage error (bad local options) or a
    /// server error.
    pub async fn open(args: &ConnectionArgs) -> Result<Link, Error> {
        let usage = |e: SetupError| {
            let message = match (e.kind(), &args.user) {
                // The login `--user` was most likely meant as a send's target.
                (SetupErrorKind::UserWithoutPassword, Some(user)) => tr!(
                    errors(),
                    "login-user-not-target",
                    refusal = e.to_string(),
                    user = user.clone()
                ),
                _ => e.to_string(),
            };
            ErrorKind::Usage.error(message).caused_by(e)
        };
        // An agent's creds connect, then every send is refused: said first.
        args.check_creds_holder(Holder::Ops).map_err(usage)?;
        let options = args.options("publisher").await.map_err(usage)?;
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
            .map_err(|e| ErrorKind::Server.error(e.to_string()).caused_by(e))?;
        Ok(Link {
            client,
            args: args.clone(),
            server_errors,
        })
    }

    /// How long a session listing waits for answers: `--timeout`, else the
    /// listing's default.
    pub fn list_wait(&self) -> Duration {
        self.args.timeout.unwrap_or(sessions::DEFAULT_LIST_WAIT)
    }

    /// Flushes everything published so far and fails with a server error if
    /// the server did not take it or reported an error.
    pub async fn settle(&self) -> Result<(), Error> {
        tokio::time::timeout(self.args.connect_timeout(), self.client.flush())
            .await
            .map_err(|_| {
                ErrorKind::Server.error(tr!(
                    errors(),
                    "flush-timed-out",
                    servers = self.args.display_servers()
                ))
            })?
            .map_err(|e| self.server_failure(&tr!(errors(), "failed-flushing"), e))?;
        if self.client.server_info().auth_required {
            tokio::time::sleep(SERVER_ERROR_GRACE).await;
        }
        self.refusal().map_or(Ok(()), Err)
    }

    /// An error naming what the server refused (e.g. a permissions
    /// violation), if it refused anything so far.
    pub fn refusal(&self) -> Option<Error> {
        let refused = self.server_errors.lock().expect("not poisoned").clone();
        (!refused.is_empty()).then(|| {
            ErrorKind::Server.error(tr!(
                errors(),
                "server-refused",
                servers = self.args.display_servers(),
                refusals = refused.join("; ")
            ))
        })
    }

    /// What the server refused (it explains a failed call best), else
    /// [`Link::server_failure`].
    pub fn refused_or<E>(&self, what: &str, err: E) -> Error
    where
        E: std::fmt::Display + Into<BoxError>,
    {
        self.refusal()
            .unwrap_or_else(|| self.server_failure(what, err))
    }

    /// A server error for a failed NATS call: `what: err` with secrets
    /// scrubbed, the error itself kept as the source.
    pub fn server_failure<E>(&self, what: &str, err: E) -> Error
    where
        E: std::fmt::Display + Into<BoxError>,
    {
        ErrorKind::Server
            .error(self.args.scrub(&tr!(
                errors(),
                "failed-call",
                what = what,
                cause = err.to_string()
            )))
            .caused_by(err)
    }
}
