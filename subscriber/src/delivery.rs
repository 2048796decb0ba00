//! A message admitted to be shown ([`Delivery`]), and the seam between the
//! agent's core and whatever shows it ([`Show`]): the screen in the agent,
//! a recorder in the benchmarks, so both run the same
//! `Agent::show` (in the agent module). How it was shown
//! ([`Displayed`]) goes back to the sender in the delivered receipt; a
//! display that lets the user acknowledge it later keeps a [`ReadTicket`].

use remote_message::sessions::ShownVia;
use remote_message::{Incoming, MessageId, Target};
use std::future::Future;
use std::io;

/// A message to show.
#[derive(Debug)]
pub struct Delivery {
    pub message: Incoming,
    pub target: Target,
    /// Where the sender waits for a receipt, if it does.
    pub(crate) receipt_to: Option<String>,
}

impl Delivery {
    /// What a read receipt needs, for a display that lets the user
    /// acknowledge the message later; `None` when no sender waits.
    pub fn read_ticket(&self) -> Option<ReadTicket> {
        Some(ReadTicket {
            message_id: self.message.id.clone(),
            receipt_to: self.receipt_to.clone()?,
        })
    }
}

/// A message the user may still acknowledge, kept by the display until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTicket {
    pub(crate) message_id: MessageId,
    pub(crate) receipt_to: String,
}

impl ReadTicket {
    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }
}

/// How one message was shown, for its delivered receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Displayed {
    /// Where it went, the display first: a notification that failed was
    /// printed as a terminal block, and says `terminal`.
    pub via: Vec<ShownVia>,
    /// Whether a read receipt can follow (a notification with OK).
    pub read_ack: bool,
}

/// What shows a message: the agent's screen, or a benchmark's recorder.
pub trait Show {
    /// Shows one message; returns how. `Err` only when the output is gone.
    fn show(&mut self, delivery: &Delivery) -> impl Future<Output = io::Result<Displayed>>;
}
