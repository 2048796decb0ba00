//! Where a shown message goes: the output chosen with `--output` (a terminal
//! block, a JSON line, or a desktop notification; `auto` picks the desktop
//! when a notification service answers at start), then the `--exec` hook.
//!
//! Once running, the desktop never stops the agent: a notification that
//! cannot be shown is logged and the message is printed as a terminal block
//! instead. Only `--output desktop` where native notifications cannot work
//! at all (see [`NotifyError::is_permanent`]) stops it at start.
//!
//! stdout is written without blocking the agent's thread: when whoever
//! reads it stops (a pipe that is full, a terminal on hold), showing waits,
//! but the connection, the session list and the signals go on, and the live
//! messages that pile up meanwhile stay bounded (see [`crate::link::LIVE_BUFFER`]).

use crate::config::{AgentConfig, Output};
use crate::delivery::{Acted, Delivery, Displayed, Show};
use crate::error::{Error, Kind};
use crate::exec::Hook;
use crate::notify::Notifier;
use crate::render::{self, Printed};
use jiff::Timestamp;
use remote_message::sessions::ShownVia;
use remote_message::{MessageId, Target};
use remote_message_cli::lang::Lang;
use std::io;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// The chosen output and the hook.
pub struct Screen {
    output: Chosen,
    /// The language of the terminal block.
    lang: Lang,
    hook: Option<Hook>,
    stdout: tokio::io::Stdout,
    /// One message, rendered before it is written.
    buffer: Vec<u8>,
}

/// `--output` once resolved: printed on stdout, or the desktop (which
/// falls back to a terminal block for a message it cannot show).
enum Chosen {
    Printed(Printed),
    Desktop(Notifier),
}

impl Screen {
    /// Starts the `--exec` hook, if any, and opens the chosen output
    /// ([`Screen::open`]).
    pub async fn start(
        config: &AgentConfig,
        acks: mpsc::UnboundedSender<Acted>,
        tasks: &TaskTracker,
    ) -> Result<Screen, Error> {
        let hook = match config.exec.as_deref() {
            Some(program) => Some(
                Hook::start(program, config.exec_timeout, tasks)
                    .map_err(|e| Error::with_context(Kind::Exec, e.to_string()).caused_by(e))?
                    .answering_to(acks.clone()),
            ),
            None => None,
        };
        Screen::open(config.output, config.lang, hook, acks, tasks).await
    }

    /// Resolves `--output` (probing the desktop once for `auto` and
    /// `desktop`) and says on stderr, once, what was chosen. Messages
    /// acknowledged on the desktop are sent to `acks`. Fails only for
    /// `--output desktop` where native notifications cannot work at all.
    pub async fn open(
        output: Output,
        lang: Lang,
        hook: Option<Hook>,
        acks: mpsc::UnboundedSender<Acted>,
        tasks: &TaskTracker,
    ) -> Result<Screen, Error> {
        let output = match output {
            Output::Terminal => Chosen::Printed(Printed::TerminalBlock),
            Output::Json => Chosen::Printed(Printed::JsonLine),
            Output::Auto | Output::Desktop => {
                let mut desktop = Notifier::new(acks, tasks.clone(), lang);
                match (desktop.connect().await, output) {
                    (Ok(server), _) => {
                        info!(
                            event = remote_message::Event::Output.name(),
                            kind = "desktop",
                            "output: desktop notifications through {server}"
                        );
                        Chosen::Desktop(desktop)
                    }
                    (Err(e), Output::Desktop) if e.is_permanent() => {
                        return Err(Error::with_context(
                            Kind::Desktop,
                            format!("--output desktop: {e}; use --output auto or terminal"),
                        )
                        .caused_by(e));
                    }
                    (Err(e), Output::Desktop) => {
                        warn!(
                            event = remote_message::Event::Output.name(),
                            kind = "desktop",
                            "output: desktop notifications, but {e}: each message tries again, \
                             and is printed here meanwhile"
                        );
                        Chosen::Desktop(desktop)
                    }
                    (Err(e), _) => {
                        let retry = if e.is_permanent() {
                            ""
                        } else {
                            "; --output desktop would keep trying"
                        };
                        info!(
                            event = remote_message::Event::Output.name(),
                            kind = "terminal",
                            "output: terminal ({e}{retry})"
                        );
                        Chosen::Printed(Printed::TerminalBlock)
                    }
                }
            }
        };
        Ok(Screen {
            output,
            lang,
            hook,
            stdout: tokio::io::stdout(),
            buffer: Vec::new(),
        })
    }
}

impl Screen {
    /// Shows one message (the `reminder`-th time again, `None` the first),
    /// then runs the hook. Returns how it was shown; `Err` only when stdout
    /// is gone.
    async fn show_as(
        &mut self,
        delivery: &Delivery,
        reminder: Option<u32>,
    ) -> io::Result<Displayed> {
        let now = Timestamp::now();
        let (message, target) = (&delivery.message, &delivery.target);
        let lang = self.lang;
        let mut print = |output| {
            render::show_again(
                &mut self.buffer,
                output,
                lang,
                message,
                target,
                now,
                reminder,
            )
        };
        let (display, read_ack) = match &mut self.output {
            Chosen::Printed(printed) => {
                print(*printed)?;
                let via = match printed {
                    Printed::TerminalBlock => ShownVia::Terminal,
                    Printed::JsonLine => ShownVia::Json,
                };
                (via, false)
            }
            Chosen::Desktop(desktop) => {
                match desktop.show(message, target, delivery.ticket()).await {
                    Ok(shown) => {
                        info!(
                            event = remote_message::Event::ShownOnDesktop.name(),
                            message_id = message.id.as_str(),
                            notification = shown.notification,
                            "message {} shown as desktop notification {}",
                            message.id,
                            shown.notification
                        );
                        (ShownVia::Desktop, shown.read_ack)
                    }
                    Err(e) => {
                        warn!(
                            event = remote_message::Event::DesktopFailed.name(),
                            message_id = message.id.as_str(),
                            "message {} could not be shown on the desktop ({e}); printed here",
                            message.id
                        );
                        print(Printed::TerminalBlock)?;
                        (ShownVia::Terminal, false)
                    }
                }
            }
        };
        self.write_buffer().await?;
        let mut via = vec![display];
        if let Some(hook) = &self.hook {
            let json = render::json_line_again(message, target, now, reminder);
            if hook.run_for(delivery.ticket(), json) {
                via.push(ShownVia::Exec);
            }
        }
        Ok(Displayed { via, read_ack })
    }

    /// Writes what was rendered to stdout.
    async fn write_buffer(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.stdout.write_all(&self.buffer).await?;
            self.stdout.flush().await?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Takes down message `id`, recalled: a `recalled` record on stdout
    /// (terminal line or JSON line; the desktop closes its notification)
    /// and for the hook.
    pub async fn take_down(&mut self, id: &MessageId, target: &Target) -> io::Result<()> {
        let now = Timestamp::now();
        match &mut self.output {
            Chosen::Printed(printed) => {
                render::show_recalled(&mut self.buffer, *printed, self.lang, id, target, now)?
            }
            Chosen::Desktop(desktop) => desktop_take_down(desktop, id),
        }
        self.write_buffer().await?;
        if let Some(hook) = &self.hook {
            hook.run(id, render::recalled_line(id, target, now));
        }
        Ok(())
    }
}

/// Closes the notification of a recalled message (the desktop backends'
/// part; wired by the lead once `Notifier::close` exists).
fn desktop_take_down(_desktop: &mut Notifier, id: &MessageId) {
    debug!("message {id} recalled: its notification stays until the desktop can close it");
}

impl Show for Screen {
    /// Shows one message, then runs the hook. Returns how it was shown;
    /// `Err` only when stdout is gone.
    async fn show(&mut self, delivery: &Delivery) -> io::Result<Displayed> {
        self.show_as(delivery, None).await
    }

    async fn show_again(&mut self, delivery: &Delivery, reminder: u32) -> io::Result<()> {
        self.show_as(delivery, Some(reminder)).await.map(|_| ())
    }

    async fn take_down(&mut self, id: &MessageId, target: &Target) -> io::Result<()> {
        Screen::take_down(self, id, target).await
    }
}
