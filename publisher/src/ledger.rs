//! The ledger as ops use it (the stream itself is the contract's
//! `remote_message::ledger`): make sure it exists, record a send or a
//! recall (stored and acknowledged), read a send's record back, and read
//! every agent row of a send in big batches through one ordered consumer,
//! so `publisher status` over thousands of sessions costs a few round
//! trips, not one per row.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use crate::tally::{Change, Tally};
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::stream::Stream;
use async_nats::jetstream::Context;
use futures::StreamExt;
use remote_message::ledger::{self, LedgerEvent, RecallRecord, SendRecord};
use remote_message::stream::StreamErrorKind;
use remote_message::SendId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// Longest a read of the ledger may go without a row or an answer before
/// it fails (the server stopped answering), whatever its size.
const STALL_LIMIT: Duration = Duration::from_secs(10);

/// What [`Ledger::read_rows`] tells as it reads.
pub enum Read<'a> {
    /// A row, and what it changed.
    Row(&'a LedgerEvent, Change),
    /// Every row stored when the read began is read: what follows is live.
    CaughtUp,
}

/// Why a record was not stored.
enum Stored {
    /// No stream takes the subject (no ledger yet, or no JetStream).
    NoStream(Error),
    Failed(Error),
}

impl Stored {
    fn into_error(self) -> Error {
        match self {
            Stored::NoStream(e) | Stored::Failed(e) => e,
        }
    }
}

/// Publishes `record` on `subject` through JetStream (`Nats-Msg-Id`: the
/// subject) and waits for the acknowledgement, bounded by the connect
/// timeout.
async fn store<T: Serialize>(
    js: &Context,
    link: &Link,
    subject: String,
    record: &T,
) -> Result<(), Stored> {
    use async_nats::jetstream::context::PublishErrorKind;
    let what = tr!(errors(), "failed-recording-send");
    let payload = serde_json::to_vec(record).expect("a record serializes");
    let stored = async {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(ledger::EVENT_MSG_ID_HEADER, subject.as_str());
        let ack = js
            .publish_with_headers(subject, headers, payload.into())
            .await
            .map_err(|e| Stored::Failed(link.refused_or(&what, e)))?;
        ack.await.map(|_| ()).map_err(|e| match e.kind() {
            PublishErrorKind::StreamNotFound => Stored::NoStream(link.refused_or(&what, e)),
            _ => Stored::Failed(link.refused_or(&what, e)),
        })
    };
    tokio::time::timeout(link.args.connect_timeout(), stored)
        .await
        .map_err(|_| Stored::Failed(link.refused_or(&what, "no acknowledgement in time")))?
}

/// The ledger stream, as one run of the publisher reaches it.
pub struct Ledger {
    js: Context,
    stream: Stream,
}

impl Ledger {
    /// The ledger, created with default settings when missing; `None`
    /// when the server has no JetStream (everything then stays live).
    pub async fn ensure(link: &Link) -> Result<Option<Ledger>, Error> {
        let js = link.args.jetstream(link.client.clone());
        match ledger::get_or_create(&js).await {
            Ok(stream) => Ok(Some(Ledger { js, stream })),
            Err(e) if e.kind() == StreamErrorKind::NoJetStream => Ok(None),
            Err(e) => Err(link.refused_or(&tr!(errors(), "failed-reading-ledger"), e)),
        }
    }

    /// The ledger, for the commands that need it (`status`, `recall`):
    /// without JetStream there is none, a server error.
    pub async fn open(link: &Link) -> Result<Ledger, Error> {
        Ledger::ensure(link).await?.ok_or_else(|| {
            ErrorKind::Server.error(tr!(
                errors(),
                "no-ledger",
                servers = link.args.display_servers()
            ))
        })
    }

    /// Stores `record` on `subject` and waits for the stream's
    /// acknowledgement (bounded by the connect timeout); under its subject
    /// as `Nats-Msg-Id`, so a retried send or recall is stored once.
    pub async fn record<T: Serialize>(
        &self,
        link: &Link,
        subject: String,
        record: &T,
    ) -> Result<(), Error> {
        store(&self.js, link, subject, record)
            .await
            .map_err(Stored::into_error)
    }

    /// [`Ledger::record`] without looking the ledger up first, as every
    /// send records itself: stored at once where the ledger exists (one
    /// round trip, beside the send's own); where no stream took it, the
    /// ledger is created and it is stored again; without JetStream,
    /// nothing is recorded.
    pub async fn record_first<T: Serialize>(
        link: &Link,
        subject: String,
        record: &T,
    ) -> Result<(), Error> {
        let js = link.args.jetstream(link.client.clone());
        match store(&js, link, subject.clone(), record).await {
            Ok(()) => Ok(()),
            Err(Stored::NoStream(_)) => match Ledger::ensure(link).await? {
                Some(ledger) => ledger.record(link, subject, record).await,
                None => Ok(()),
            },
            Err(failed) => Err(failed.into_error()),
        }
    }

    /// The last record on `subject`, or `None` when there is none.
    async fn last<T: DeserializeOwned>(
        &self,
        link: &Link,
        subject: &str,
    ) -> Result<Option<T>, Error> {
        use async_nats::jetstream::stream::LastRawMessageErrorKind;
        let what = tr!(errors(), "failed-reading-ledger");
        let found = tokio::time::timeout(
            STALL_LIMIT,
            self.stream.get_last_raw_message_by_subject(subject),
        )
        .await
        .map_err(|_| link.refused_or(&what, "no answer in time"))?;
        match found {
            Ok(message) => Ok(serde_json::from_slice(&message.payload).ok()),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(link.refused_or(&what, e)),
        }
    }

    /// Send `send`'s record, when the ledger has it.
    pub async fn send_record(
        &self,
        link: &Link,
        send: &SendId,
    ) -> Result<Option<SendRecord>, Error> {
        self.last(link, &ledger::sent_subject(send)).await
    }

    /// Send `send`'s recall, when it was recalled.
    pub async fn recall_record(
        &self,
        link: &Link,
        send: &SendId,
    ) -> Result<Option<RecallRecord>, Error> {
        self.last(link, &ledger::recalled_subject(send)).await
    }

    /// Reads every stored row of `send` into `tally`, oldest first, telling
    /// `seen` of each and of the moment every stored row is read; with
    /// `follow`, then goes on with the rows as they come until the tally
    /// is settled or `follow` passed. Returns how many rows were read.
    pub async fn read_rows(
        &self,
        link: &Link,
        send: &SendId,
        tally: &mut Tally,
        follow: Option<Duration>,
        mut seen: impl FnMut(&Tally, Read<'_>),
    ) -> Result<u64, Error> {
        let what = tr!(errors(), "failed-reading-ledger");
        let config = OrderedConfig {
            filter_subject: ledger::events_filter(send),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        };
        let consumer = tokio::time::timeout(STALL_LIMIT, self.stream.create_consumer(config))
            .await
            .map_err(|_| link.refused_or(&what, "no answer in time"))?
            .map_err(|e| link.refused_or(&what, e))?;
        let mut stored = consumer.cached_info().num_pending;
        let deadline = follow.map(|within| tokio::time::Instant::now() + within);
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| link.refused_or(&what, e))?;
        let mut read = 0;
        if stored == 0 {
            seen(tally, Read::CaughtUp);
        }
        loop {
            let caught_up = stored == 0;
            if caught_up && (deadline.is_none() || tally.settled()) {
                break;
            }
            let wait = match deadline {
                Some(deadline) if caught_up => deadline,
                _ => tokio::time::Instant::now() + STALL_LIMIT,
            };
            let next = tokio::time::timeout_at(wait, messages.next()).await;
            let message = match next {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(e))) => return Err(link.refused_or(&what, e)),
                Ok(None) => break,
                Err(_) if caught_up => break, // --follow's time is up
                Err(_) => return Err(link.refused_or(&what, "the ledger stopped answering")),
            };
            read += 1;
            if let Some(row) = ledger::event_from(send, &message.subject, &message.payload) {
                let change = tally.add(row.clone());
                seen(tally, Read::Row(&row, change));
            }
            if !caught_up {
                stored = message.info().map(|i| i.pending).unwrap_or(0);
                if stored == 0 {
                    seen(tally, Read::CaughtUp);
                }
            }
        }
        Ok(read)
    }
}
