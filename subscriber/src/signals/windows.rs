//! The events that stop a Windows agent: Ctrl-C and Ctrl-Break (typed in
//! its console, or sent with `GenerateConsoleCtrlEvent`), its console window
//! being closed, and the user logging off or Windows shutting down. Each
//! starts the same drain as SIGINT/SIGTERM on unix.
//!
//! The console events come through tokio. On close, Windows ends the process
//! once the handler returns or after about 5 s; tokio's handler holds the
//! close until the process exits, and the drain takes at most 2 s.
//!
//! Logoff and shutdown do not come as console events to a program in the
//! user's session (`CTRL_LOGOFF_EVENT` and `CTRL_SHUTDOWN_EVENT` reach
//! services only, says the HandlerRoutine documentation), nor at all to an
//! agent that has let go of its console (`--background`, started at logon).
//! They come as window messages: a hidden top-level window of our own, on a
//! thread of its own, answers `WM_QUERYENDSESSION` with yes and, on
//! `WM_ENDSESSION`, wakes [`Signals::recv`] and holds the message until the
//! process has exited (Windows ends a process as soon as its windows have
//! answered). The window is never shown.

use super::stop::StopReason;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, CtrlBreak, CtrlC, CtrlClose};
use tokio::sync::Notify;

/// The installed handlers.
pub struct Signals {
    c: CtrlC,
    brk: CtrlBreak,
    close: CtrlClose,
}

/// Set by the window when the session ends; [`Signals::recv`] waits on it.
static SESSION_ENDING: Notify = Notify::const_new();
/// Whether the session that ends is a logoff (else a shutdown or restart).
static LOGOFF: AtomicBool = AtomicBool::new(false);
/// How long the window holds `WM_ENDSESSION` for the agent to drain and
/// exit: beyond the drain's 2 s and `main`'s 3 s last resort. The process
/// exiting ends the hold; Windows gives up waiting after about 5 s anyway.
const SESSION_END_HOLD: Duration = Duration::from_secs(4);

impl Signals {
    /// Installs the handlers: from here on these events no longer end the
    /// process, they are reported by [`Signals::recv`].
    pub fn install() -> io::Result<Signals> {
        let signals = Signals {
            c: ctrl_c()?,
            brk: ctrl_break()?,
            close: ctrl_close()?,
        };
        // Without the window (no window station, say) the agent still runs
        // and stops on the console events; at logoff it is then ended
        // without draining, as before.
        if let Err(e) = session_end::watch() {
            tracing::warn!(
                event = remote_message::Event::SessionEndUnwatched.name(),
                "cannot watch for logoff and shutdown ({e}); at logoff the agent is ended without draining"
            );
        }
        Ok(signals)
    }

    /// The next stop event.
    pub async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.c.recv() => StopReason::Signal("Ctrl-C"),
            _ = self.brk.recv() => StopReason::Signal("Ctrl-Break"),
            _ = self.close.recv() => StopReason::Signal("console closed"),
            () = SESSION_ENDING.notified() => StopReason::Signal(
                if LOGOFF.load(Ordering::SeqCst) { "logoff" } else { "shutdown" }
            ),
        }
    }
}

/// The hidden window that hears the session end.
mod session_end {
    use super::{LOGOFF, SESSION_ENDING, SESSION_END_HOLD};
    use std::io;
    use std::sync::atomic::Ordering;
    use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
    use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        CreateWindowExW, DefWindowProcW, DispatchMessageW, GetMessageW, RegisterClassW,
        TranslateMessage, ENDSESSION_LOGOFF, MSG, WM_ENDSESSION, WM_QUERYENDSESSION, WNDCLASSW,
        WS_OVERLAPPED,
    };

    /// Creates the window on a thread of its own, which then pumps its
    /// messages for the life of the process. Returns once the window exists.
    pub(super) fn watch() -> io::Result<()> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("session-end".into())
            .spawn(move || {
                let window = create_window();
                let created = window.is_ok();
                let _ = ready_tx.send(window.map(drop));
                if created {
                    pump();
                }
            })?;
        ready_rx
            .recv()
            .map_err(|_| io::Error::other("the session-end window thread ended"))?
    }

    /// UTF-16, NUL-terminated.
    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(Some(0)).collect()
    }

    /// Registers the class and creates the (never shown) window.
    fn create_window() -> io::Result<HWND> {
        let class = wide("RemoteMessageSessionEnd");
        // SAFETY: plain Win32 calls with valid, NUL-terminated strings that
        // outlive them; the class and window live as long as the process.
        unsafe {
            let instance = GetModuleHandleW(std::ptr::null());
            let mut class_info: WNDCLASSW = std::mem::zeroed();
            class_info.lpfnWndProc = Some(window_proc);
            class_info.hInstance = instance;
            class_info.lpszClassName = class.as_ptr();
            if RegisterClassW(&class_info) == 0 {
                return Err(io::Error::last_os_error());
            }
            let title = wide("remote-message subscriber");
            let window = CreateWindowExW(
                0,
                class.as_ptr(),
                title.as_ptr(),
                WS_OVERLAPPED,
                0,
                0,
                0,
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                instance,
                std::ptr::null(),
            );
            if window.is_null() {
                return Err(io::Error::last_os_error());
            }
            Ok(window)
        }
    }

    /// The window's message loop (the thread's, until the process exits).
    fn pump() {
        // SAFETY: MSG is plain data, filled by GetMessageW before use.
        unsafe {
            let mut message: MSG = std::mem::zeroed();
            while GetMessageW(&mut message, std::ptr::null_mut(), 0, 0) > 0 {
                TranslateMessage(&message);
                DispatchMessageW(&message);
            }
        }
    }

    /// Says yes to ending the session; when it ends, wakes the agent and
    /// holds the answer while it drains (the process exiting ends the hold).
    unsafe extern "system" fn window_proc(
        window: HWND,
        message: u32,
        wparam: WPARAM,
        lparam: LPARAM,
    ) -> LRESULT {
        match message {
            WM_QUERYENDSESSION => 1,
            WM_ENDSESSION => {
                if wparam != 0 {
                    let logoff = (lparam as u32) & ENDSESSION_LOGOFF != 0;
                    LOGOFF.store(logoff, Ordering::SeqCst);
                    SESSION_ENDING.notify_one();
                    std::thread::sleep(SESSION_END_HOLD);
                }
                0
            }
            // SAFETY: the arguments are the ones Windows passed in.
            _ => unsafe { DefWindowProcW(window, message, wparam, lparam) },
        }
    }
}
