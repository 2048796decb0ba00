//! Read receipts, as `publisher send` collects them: besides `delivered`
//! (on the screen), an agent whose display has an OK action says so in its
//! delivered receipt (`read_ack: true`) and sends `read` once the user clicks
//! OK — like Windows' `msg /W`. A display without one (a terminal, JSON, a
//! notification server without actions) cannot tell, and is reported as
//! such rather than guessed about.

use remote_message::sessions::Receipt;
use remote_message::SessionId;
use std::collections::BTreeSet;

/// What the receipts of the expected sessions said about reading.
#[derive(Debug, Default)]
pub struct Reads {
    /// Delivered on a display that can report read.
    can_report: BTreeSet<SessionId>,
    /// The user acknowledged the message.
    read: BTreeSet<SessionId>,
}

impl Reads {
    /// Takes a receipt from an expected session, for the expected message.
    pub fn record(&mut self, receipt: &Receipt) {
        if receipt.is_read() {
            self.read.insert(receipt.session.clone());
        } else if receipt.read_ack == Some(true) {
            self.can_report.insert(receipt.session.clone());
        }
    }

    /// Whether some session can still report read.
    pub fn awaited(&self) -> bool {
        self.can_report.iter().any(|s| !self.read.contains(s))
    }

    pub fn is_read(&self, session: &SessionId) -> bool {
        self.read.contains(session)
    }

    /// The sessions whose user acknowledged the message.
    pub fn read(&self) -> Vec<SessionId> {
        self.read.iter().cloned().collect()
    }

    /// Of the `delivered` sessions, those whose display cannot report read.
    pub fn unsupported<'a>(
        &self,
        delivered: impl IntoIterator<Item = &'a SessionId>,
    ) -> Vec<SessionId> {
        delivered
            .into_iter()
            .filter(|s| !self.can_report.contains(*s) && !self.read.contains(*s))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SessionId {
        SessionId::parse(s).unwrap()
    }

    #[test]
    fn read_is_awaited_only_from_displays_that_can_report_it() {
        let mut reads = Reads::default();
        reads.record(&Receipt::delivered(&"m".into(), &id("desk")).with_read_ack(true));
        reads.record(&Receipt::delivered(&"m".into(), &id("term")).with_read_ack(false));
        reads.record(&Receipt::delivered(&"m".into(), &id("old")));
        assert!(reads.awaited());
        reads.record(&Receipt::read(&"m".into(), &id("desk")));
        assert!(!reads.awaited());
        assert_eq!(reads.read(), [id("desk")]);
        let delivered = [id("desk"), id("old"), id("term")];
        assert_eq!(reads.unsupported(&delivered), [id("old"), id("term")]);
    }
}
