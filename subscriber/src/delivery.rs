//! A message admitted to be shown ([`Delivery`]), and the seam between the
//! agent's core and whatever shows it ([`Show`]): the screen in the agent,
//! a recorder in the benchmarks, so both run the same
//! `Agent::show` (in the agent module). How it was shown
//! ([`Displayed`]) goes back to the sender in the delivered receipt; a
//! display that lets the user act on it later (OK, an answer button) keeps
//! a [`Ticket`] and hands it back as [`Acted`].

use remote_message::ledger::AnsweredVia;
use remote_message::sessions::ShownVia;
use remote_message::{Answers, Incoming, MessageId, Target};
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
    /// What the agent needs when the user acts on this message later: its
    /// read receipt (when a sender waits), its ledger row, its answers.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            message_id: self.message.id.clone(),
            target: self.target.clone(),
            receipt_to: self.receipt_to.clone(),
            answers: self.message.answers.clone(),
        }
    }
}

/// A message the user may still act on, kept by the display until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub(crate) message_id: MessageId,
    pub(crate) target: Target,
    /// Where a sender waits for receipts, if one does.
    pub(crate) receipt_to: Option<String>,
    /// The answers it offers (buttons); empty when it asks nothing.
    pub(crate) answers: Answers,
}

impl Ticket {
    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }

    pub fn answers(&self) -> &Answers {
        &self.answers
    }
}

/// What the user did to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAction {
    /// Acknowledged it (OK, or the notification itself).
    Read,
    /// Chose one of its answers: the label, exactly as offered.
    Answer(String),
}

/// The user acted on a message a display kept a [`Ticket`] for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    pub ticket: Ticket,
    pub action: UserAction,
    /// Where (for an answer's ledger row).
    pub via: AnsweredVia,
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

    /// Shows a message again, as its `reminder`-th reminder (1 for the
    /// first). By default, as the first time.
    fn show_again(
        &mut self,
        delivery: &Delivery,
        reminder: u32,
    ) -> impl Future<Output = io::Result<()>> {
        let _ = reminder;
        async move { self.show(delivery).await.map(|_| ()) }
    }

    /// Takes down message `id`, recalled (shown on `target`). By default
    /// nothing stays on screen: nothing to do.
    fn take_down(
        &mut self,
        id: &MessageId,
        target: &Target,
    ) -> impl Future<Output = io::Result<()>> {
        let _ = (id, target);
        async { Ok(()) }
    }
}
