# What the publisher prints for people, in English (the fallback: every key is
# here first; fl! checks keys and variables against this file). --json output
# never comes from here.

## publisher send: one line per message, then the totals when it waited.
sent-line = sent { $id } to { $subject }{ $outcome }
outcome-delivered = : delivered
outcome-delivered-read = : delivered, read
outcome-not-connected = : not connected
outcome-not-connected-stored = : not connected (stored: shown when that session comes back)
outcome-no-confirmation = : no confirmation within { $within }
send-duplicate = the stream had this send id already: agents that showed it will not show it again
send-delivered = delivered to { $delivered } of { $expected } sessions
send-missing = ; missing: { $sessions }
send-also-delivered = also delivered to sessions that joined meanwhile: { $sessions }
send-read = read by { $read } of { $delivered } delivered
send-read-unsupported = ; cannot report read: { $sessions }

## publisher sessions: the column headers, and the count line.
column-session = SESSION
column-user = USER
column-host = HOST
column-since = SINCE
column-version = VERSION
session-count = { $count ->
    [one] { $count } session
   *[other] { $count } sessions
}

## publisher setup
stream-ready = stream { $stream } ready: subjects broadcast, session.*; retention { $retention }; replicas { $replicas }; max { $bytes } bytes

## publisher admin
admin-kept = { $dir } already holds a set-up: kept as it is
admin-creds-written = wrote { $file } (mode 0600): give it to that machine only, over a private channel
