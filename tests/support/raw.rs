//! A minimal NATS client speaking the text protocol over a plain TCP socket:
//! "any other NATS client" for interop tests, and a wire tap for proving what
//! was, or was not, published.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A message seen on the wire.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub subject: String,
    pub reply: Option<String>,
    pub headers: Option<String>,
    pub payload: Vec<u8>,
}

pub struct RawClient {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    next_sid: u32,
    /// The server's INFO greeting.
    info: serde_json::Value,
}

/// Appends one PUB frame (with a reply subject, if any) to `frame`.
fn push_pub(frame: &mut Vec<u8>, subject: &str, reply: Option<&str>, payload: &[u8]) {
    let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
    frame.extend_from_slice(format!("PUB {subject}{reply} {}\r\n", payload.len()).as_bytes());
    frame.extend_from_slice(payload);
    frame.extend_from_slice(b"\r\n");
}

impl RawClient {
    /// Connects (with headers enabled) and waits for the server's PONG.
    pub fn connect(port: u16) -> RawClient {
        RawClient::open(port, serde_json::json!({}))
    }

    /// Connects with a user and password.
    pub fn connect_as(port: u16, user: &str, password: &str) -> RawClient {
        RawClient::open(port, serde_json::json!({ "user": user, "pass": password }))
    }

    fn open(port: u16, credentials: serde_json::Value) -> RawClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
        let mut client = RawClient {
            writer: stream.try_clone().expect("clone socket"),
            reader: BufReader::new(stream),
            next_sid: 1,
            info: serde_json::Value::Null,
        };
        let info = client.read_line(Instant::now() + crate::WAIT);
        let greeting = info.strip_prefix("INFO ");
        client.info = greeting
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| panic!("unexpected greeting {info}"));
        let mut connect = serde_json::json!({
            "verbose": false, "pedantic": false, "headers": true, "name": "raw",
        });
        connect
            .as_object_mut()
            .unwrap()
            .extend(credentials.as_object().unwrap().clone());
        client.send(format!("CONNECT {connect}\r\n").as_bytes());
        client.ping();
        client
    }

    /// The server's version as (major, minor), from its greeting.
    pub fn server_version(&self) -> (u32, u32) {
        let version = self.info["version"].as_str().expect("a version in INFO");
        let mut parts = version
            .split('.')
            .map(|p| p.parse().expect("a numeric version"));
        (parts.next().unwrap(), parts.next().unwrap())
    }

    /// A request: the one answer on a fresh inbox, within the test wait.
    pub fn request(&mut self, subject: &str, payload: &[u8]) -> RawMessage {
        let inbox = format!("_INBOX.raw{}", self.next_sid);
        self.subscribe(&inbox);
        let mut frame = Vec::new();
        push_pub(&mut frame, subject, Some(&inbox), payload);
        self.send(&frame);
        self.next_message(crate::WAIT)
            .unwrap_or_else(|| panic!("no answer to {subject}"))
    }

    /// PUB, then waits for the server's answer: `Err` with its `-ERR` line
    /// (e.g. a permissions violation), `Ok` once a PING round trip passed.
    pub fn try_publish(&mut self, subject: &str, payload: &[u8]) -> Result<(), String> {
        let mut frame = Vec::new();
        push_pub(&mut frame, subject, None, payload);
        frame.extend_from_slice(b"PING\r\n");
        self.send(&frame);
        let deadline = Instant::now() + crate::WAIT;
        // The server answers the PUB (an -ERR, if refused) before the PONG;
        // read up to the PONG so that the next call starts clean.
        let mut refused = None;
        loop {
            let line = self.read_line(deadline);
            match line.trim_end() {
                "PONG" => return refused.map_or(Ok(()), Err),
                "PING" => self.send(b"PONG\r\n"),
                other if other.starts_with("-ERR") => {
                    refused.get_or_insert_with(|| other.to_owned());
                }
                _ => {}
            }
        }
    }

    /// PUB, then a PING round trip so the server has processed it.
    pub fn publish(&mut self, subject: &str, payload: &[u8]) {
        let mut frame = Vec::new();
        push_pub(&mut frame, subject, None, payload);
        self.send(&frame);
        self.ping();
    }

    /// Publishes every payload in one stream of PUB frames, as fast as the
    /// socket takes them, then one PING round trip: a flood.
    pub fn publish_many<'a>(
        &mut self,
        subject: &str,
        payloads: impl IntoIterator<Item = &'a [u8]>,
    ) {
        let mut frames = Vec::with_capacity(1 << 20);
        for payload in payloads {
            push_pub(&mut frames, subject, None, payload);
            if frames.len() >= 1 << 20 {
                self.send(&frames);
                frames.clear();
            }
        }
        self.send(&frames);
        self.ping();
    }

    /// SUB, confirmed by a PING round trip.
    pub fn subscribe(&mut self, subject: &str) {
        let sid = self.next_sid;
        self.next_sid += 1;
        self.send(format!("SUB {subject} {sid}\r\n").as_bytes());
        self.ping();
    }

    /// Subscribes to each subject in turn.
    pub fn subscribe_all(&mut self, subjects: &[&str]) {
        for subject in subjects {
            self.subscribe(subject);
        }
    }

    /// The next MSG or HMSG, waiting at most `timeout`.
    pub fn next_message(&mut self, timeout: Duration) -> Option<RawMessage> {
        let deadline = Instant::now() + timeout;
        loop {
            if Instant::now() >= deadline {
                return None;
            }
            let line = self.try_read_line(deadline)?;
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.first().copied() {
                Some("PING") => self.send(b"PONG\r\n"),
                // MSG <subject> <sid> [reply] <size>
                Some("MSG") => {
                    let size: usize = parts.last().unwrap().parse().expect("size");
                    let body = self.read_exact(size + 2);
                    return Some(RawMessage {
                        subject: parts[1].to_owned(),
                        reply: (parts.len() == 5).then(|| parts[3].to_owned()),
                        headers: None,
                        payload: body[..size].to_vec(),
                    });
                }
                // HMSG <subject> <sid> [reply] <header size> <total size>
                Some("HMSG") => {
                    let total: usize = parts[parts.len() - 1].parse().expect("total");
                    let head: usize = parts[parts.len() - 2].parse().expect("head");
                    let body = self.read_exact(total + 2);
                    return Some(RawMessage {
                        subject: parts[1].to_owned(),
                        reply: (parts.len() == 6).then(|| parts[3].to_owned()),
                        headers: Some(String::from_utf8_lossy(&body[..head]).into_owned()),
                        payload: body[head..total].to_vec(),
                    });
                }
                Some("-ERR") => panic!("server error: {line}"),
                _ => {}
            }
        }
    }

    fn ping(&mut self) {
        self.send(b"PING\r\n");
        let deadline = Instant::now() + crate::WAIT;
        loop {
            let line = self.read_line(deadline);
            match line.trim_end() {
                "PONG" => return,
                "PING" => self.send(b"PONG\r\n"),
                other if other.starts_with("-ERR") => panic!("server error: {other}"),
                _ => {}
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("raw write");
    }

    fn read_line(&mut self, deadline: Instant) -> String {
        self.try_read_line(deadline)
            .expect("server answered nothing in time")
    }

    fn try_read_line(&mut self, deadline: Instant) -> Option<String> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        self.reader.get_ref().set_read_timeout(Some(left)).ok()?;
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => panic!("server closed the connection"),
            Ok(_) => Some(line),
            Err(_) => None,
        }
    }

    fn read_exact(&mut self, n: usize) -> Vec<u8> {
        self.reader
            .get_ref()
            .set_read_timeout(Some(crate::WAIT))
            .expect("timeout");
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf).expect("message body");
        buf
    }
}
