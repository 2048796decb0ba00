# What the publisher prints for people, in English (the fallback: every key is
# here first; fl! checks keys and variables against this file). --json output
# never comes from here.

## publisher send: one line per message, then the totals when it waited.
sent-line = sent { $id } to { $subject }{ $outcome }
outcome-delivered = : delivered
outcome-delivered-read = : delivered, read
## How the agent showed it ($via: desktop, terminal, json, exec, the words of
## the receipt and of --output, kept in every language).
outcome-delivered-via = : delivered ({ $via })
outcome-delivered-via-read = : delivered ({ $via }), read
outcome-not-connected = : not connected
outcome-not-connected-stored = : not connected (stored: shown when that session comes back)
outcome-no-confirmation = : no confirmation within { $within }
send-duplicate = the stream had this send id already: agents that showed it will not show it again
send-delivered = delivered to { $delivered } of { $expected ->
    [one] { $expected } session
   *[other] { $expected } sessions
}
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
stream-ready = stream { $stream } ready: subjects broadcast, session.*; retention { $retention }; { $replicas ->
    [one] { $replicas } replica
   *[other] { $replicas } replicas
}; max { $bytes ->
    [one] { $bytes } byte
   *[other] { $bytes } bytes
}

## publisher admin
admin-kept = { $dir } already holds a set-up: kept as it is
admin-not-pushed = the account of session { $session } is kept in the admin directory but NOT pushed: these creds work once `publisher --server URL admin push` has sent it
admin-pushed = pushed { $count ->
    [one] { $count } session account
   *[other] { $count } session accounts
} to { $servers }
admin-creds-written = wrote { $file } (mode 0600): give it to that machine only, over a private channel

## Errors: what `publisher: …` says on stderr. Built in lang::errors()'s language:
## the chosen one, English with --log-format json.
runtime-failed = cannot start the async runtime: { $cause }
admin-dir-taken = { $dir } already holds a set-up ({ $files }); nothing was written. Its keys sign the creds handed out: keep it, or give --out a new directory
cannot-write = cannot write { $path } ({ $cause })
seed-encoding = cannot encode a seed: { $cause }
jwt-encoding = cannot write a JWT: { $cause }
admin-key-unreadable = cannot read { $path } ({ $cause }): is { $dir } a directory made by `publisher admin init`?
admin-no-seed = { $path } holds no valid seed
session-id-like-key = session id { $id } looks like a NATS public key (56 characters of A–Z and 2–7); agents' broadcast consumers carry such names: pick another session id
admin-dir-missing = which admin directory? pass --dir DIR (the one `publisher admin init --out DIR` made) or set { $env }
admin-dir-legacy = { $dir } was made by an earlier version, before the account wall: its agents share an account with the stream, and any one of them can delete every stored message. Nothing was written. Make a new set-up with `publisher admin init --out NEW-DIR`, run nats-server with NEW-DIR/nats-server.conf, mint new creds for every agent (`publisher admin agent-creds --dir NEW-DIR …`) and for ops, then retire { $dir }
admin-push-failed = cannot push the account of session { $session } to { $servers }: { $cause }. No creds were written. Is nats-server running with the nats-server.conf of { $dir } (its full resolver)? Give its address with --server, or mint with --no-push and run `publisher admin push` later
admin-accounts-unreadable = cannot read the session accounts in { $path } ({ $cause })
keygen-cannot-create = cannot create { $path } ({ $cause }): give a new file to --out (an existing key is never overwritten)
creds-out-exists = { $path } already exists: nothing was pushed or written; give another --out, or --force to replace it
flush-timed-out = NATS at { $servers } did not confirm in time: the message may not have been sent
server-refused = NATS at { $servers } refused the request: { $refusals }
no-jetstream = NATS at { $servers } has no JetStream: start nats-server with -js (or jetstream {"{}"} in its config) to keep messages for offline agents
stdin-unreadable = cannot read the message from stdin: { $cause }
stdin-not-utf8 = the message on stdin is not valid UTF-8: convert it to UTF-8 first
not-confirmed = { $missing } of { $expected ->
    [one] { $expected } session
   *[other] { $expected } sessions
} did not confirm: { $sessions }
login-user-not-target = { $refusal }. To send to the sessions of user { $user }, name it after send: publisher send --user { $user } MESSAGE
user-empty = --user { $user } is empty: give a user name as `publisher sessions` lists it
seal-broadcast = --seal needs --session or --user: a broadcast is for everyone and cannot be sealed to one key
message-too-big = the message is { $size ->
    [one] { $size } byte
   *[other] { $size } bytes
} on the wire but the server accepts at most { $max }: shorten the text (nothing was sent)
no-live-users = none
no-session-for-user = no live session for user { $user }; live users: { $known }; nothing was sent
seal-not-live = session { $session } is not live, so its key is unknown: cannot seal to it; nothing was sent
seal-no-key = session { $session } advertises no key to seal to (an older or foreign agent); nothing was sent
seal-failed = cannot seal to session { $session }: { $cause }
ack-timed-out = the stream did not acknowledge the message in time: it may not be stored; send again with the same --id to be sure
unfinished-more = {" "}and { $more } more
unfinished = the send did not finish within { $within } (--timeout): { $stored ->
    [yes] the stream confirmed storing { $done } of { $total ->
        [one] { $total } message
       *[other] { $total } messages
    }; not confirmed: { $named }; they may not be stored; send again with the same --id (stored ones are never shown twice) or a longer --timeout
   *[no] NATS took { $done } of { $total ->
        [one] { $total } message
       *[other] { $total } messages
    }; not confirmed: { $named }; they may not have been sent; send again with the same --id or a longer --timeout
}
## What failed, before ": <the server's error>".
failed-flushing = flushing failed
failed-listing-sessions = listing sessions failed
failed-creating-stream = creating the stream failed
failed-stream = the message stream is not usable
failed-publishing = publishing failed
failed-storing = the stream did not store the message (send again with the same --id)
failed-subscribing = subscribing for receipts failed
failed-call = { $what }: { $cause }
text-empty = the message text is empty: give the text to show, or - to read it from stdin
title-empty = the title is empty: leave --title out, or give it some text
sign-key-unreadable = --sign-key { $path }: cannot read it ({ $cause })
sign-key-no-seed = --sign-key { $path }: no user nkey seed in it: make one with `publisher keygen --out FILE`

## What became of a send at each session (publisher status, send --answer
## --wait, recall --wait); $at is an RFC 3339 time, $via how it was shown.
tally-delivered = delivered at { $at }
tally-delivered-via = delivered at { $at } ({ $via })
tally-read = read at { $at }
tally-answered = answered { $answer } at { $at }
tally-invalid-answer = answered { $answer } at { $at } (not offered, not counted)
tally-recalled = recalled at { $at }
tally-recalled-seen = recalled at { $at } (it had been shown)
tally-recalled-unseen = recalled at { $at } (never shown)
tally-expired = expired at { $at }
tally-nothing = nothing yet
tally-not-targeted = {" "}(not targeted)
tally-counts = answers: { $counts }
tally-delivered-total = delivered to { $done } of { $targets }
tally-read-total = read by { $done } of { $targets }
tally-answered-total = answered by { $done } of { $targets }
tally-not-yet = ; not yet: { $sessions }
tally-invalid = answers not offered (not counted) from: { $sessions }

## publisher status and recall.
status-send = send { $send }, sent at { $at } by { $sender } to { $target }: { $text }
status-answers = answers offered: { $answers }
status-recalled = recalled at { $at } by { $by }
status-no-record = no send record (sent before the ledger existed?): showing the sessions that wrote rows
recall-published = recall order for { $send } published on broadcast
recall-deleted = stored copies deleted from { $stream }: { $deleted }
recall-waiting = waiting for the sessions that had it: { $sessions }
recall-none-answered = no recall row from: { $sessions }
unknown-send = no record of send { $send } in the ledger ({ $stream }): check the id, or the ledger's retention
no-ledger = this NATS server has no JetStream, so no ledger ({ $servers }): status and recall need it
failed-reading-ledger = reading the ledger failed
failed-recording-send = recording the send in the ledger failed
failed-deleting = deleting a stored copy failed
ledger-ready = ledger { $stream } ready: subjects ledger.*.*, sends.*.*; retention { $retention }; max { $bytes } bytes
