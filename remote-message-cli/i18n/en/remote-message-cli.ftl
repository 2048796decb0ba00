# The error messages remote-message-cli builds for people, in English (the
# fallback: every key is here first; fl! checks keys and variables against
# this file). Only the publisher chooses another language (lang::choose_errors);
# the agent's errors and --log-format json stay English.

## connection.rs: the connection options, and connecting.
server-url-invalid = invalid --server URL: { $cause }
server-url-unparsable = invalid --server URL { $url }: { $cause }; expected e.g. nats://host:4222, tls://host:4222, ws://host:8080 or wss://host:443
server-empty = --server is empty: give a NATS URL such as nats://127.0.0.1:4222
file-unreadable = { $flag } { $path }: cannot read it as { $what } ({ $cause }): check the path and its permissions
file-as-creds = a credentials file
file-as-nkey = an nkey seed file
file-as-pem = a PEM file
nkey-no-seed = --nkey { $path }: no user nkey seed (a line starting with SU) in the file
conflicting-credentials = the --server URLs carry different credentials: give one user and password (or token) for every server, in one URL or in the settings file
user-without-password = --user { $user } is a NATS login, and it has no password: refused before connecting. A login user comes from --user before the subcommand, NATS_USER, or `user` in the settings file or nats context; give its password in NATS_PASSWORD (or --password), or remove it
tls-over-plain-websocket = a ws:// URL is never encrypted, yet TLS options are given: use wss:// for WebSocket over TLS
cause-connection-refused = connection refused
connect-dns = cannot resolve the NATS server in { $servers } ({ $cause }): check --server or NATS_URL
connect-refused-credentials = NATS at { $servers } refused the credentials ({ $cause }): check --creds, --nkey, --token, --user and --password, the user and password in the URL, or the nats context
connect-invalid-url = invalid NATS server URL { $servers } ({ $cause }): check --server or NATS_URL
connect-unreachable = cannot reach NATS at { $servers } ({ $cause }): { $advice }
advice-is-server-running = is nats-server running? set --server or NATS_URL
connect-tls = TLS with NATS at { $servers } failed ({ $cause }): { $advice }
advice-tls-server-v1 = the server's certificate is X.509 version 1, which rustls refuses: give the server a version 3 certificate
advice-tls-not-spoken = the server does not speak TLS there: use nats:// or ws:// for a port without TLS, or check the port
advice-tls-check = check --tls-ca, --tls-cert and --tls-key, and that the URL names the host in the server's certificate
connect-timed-out = cannot reach NATS at { $servers } (no answer within { $within }): is nats-server running and the address right? set --server or NATS_URL, or a longer --timeout
advice-websocket-port = ; a websocket port takes ws:// or wss://
advice-ws-not-websocket = that port does not speak WebSocket (a NATS client port takes nats:// or tls://): give the server's websocket port
advice-ws-tls = the server refused the WebSocket handshake: if its websocket listener has TLS, use wss://
advice-ws-refused = the server, or a proxy on the way, refused the WebSocket handshake: check the URL's host, port and path

## creds_check.rs: why NATS refuses a creds file. { $creds } is the file (or stdin).
creds-refused = NATS at { $servers } refuses the creds in { $creds }: { $cause }
creds-expired = their user JWT expired at { $at }: ask ops for new creds (`publisher admin agent-creds` for an agent, `publisher admin ops-creds` for ops)
creds-not-yet-valid = their user JWT is not valid until { $until }: wait until then, or check this machine's clock
creds-unknown-account = the server does not know their account { $account }: they come from another set-up (another `publisher admin init`, another operator), or their session account was never pushed to this server (ops: `publisher --server URL admin push`)
creds-agent-for-ops = they are an agent's creds (session { $session }), and the publisher needs ops creds: give ops.creds from `publisher admin init`, or new ones from `publisher admin ops-creds`
creds-ops-for-agent = they are ops creds (signed by a scoped key of account { $account }, no user: tag), and an agent needs creds of its own session: `publisher admin agent-creds`
creds-wrong-role = the creds in { $creds }: { $cause }
# connection.rs: --creds -, the creds read from stdin.
stdin-creds-terminal = --creds -: stdin is a terminal; pipe the creds in (e.g. from the program that starts the agent), or give a creds file
stdin-creds-unreadable = --creds -: cannot read the creds from stdin ({ $cause })
stdin-creds-not-creds = --creds -: what came on stdin is not a NATS creds file (a user JWT block and an nkey seed block)
stdin-creds-agent-only = --creds - (creds on stdin) is taken by the agent (subscriber) only: give a creds file
## tls_files.rs: the --tls-* files, checked before connecting.
tls-cert-version-1 = { $flag } { $path }: the certificate ({ $subject }) is X.509 version 1, and TLS here (rustls) takes version 3 only: make a version 3 one, e.g. sign the request with `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -out client.pem -days 365 -extfile v3.ext` where v3.ext holds a line such as `basicConstraints=CA:FALSE` (any extension makes it version 3), or make a self-signed one with `openssl req -x509`
tls-no-certificate = { $flag } { $path }: no certificate in it ({ $holds }): give the PEM file that holds a -----BEGIN CERTIFICATE----- section
tls-certificate-malformed = { $flag } { $path }: a certificate in it does not parse ({ $cause }): give an X.509 certificate in PEM
tls-key-problem = { $flag } { $path }: { $advice }
tls-key-encrypted = the private key is encrypted with a passphrase, and the agent cannot ask for one: decrypt it once with `openssl pkey -in KEY -out KEY.plain`, keep KEY.plain readable by its user only, and give that
tls-no-key = no private key in it ({ $holds }): give the PEM file that holds a -----BEGIN PRIVATE KEY----- section
tls-key-unsupported = the private key cannot be used ({ $cause }): give an RSA, ECDSA (P-256 or P-384) or Ed25519 key
tls-key-mismatch = this is not the private key of --tls-cert { $cert } (their public keys differ): give the key the certificate was made for
tls-file-unreadable = { $flag } { $path }: cannot read it ({ $cause }): check the path and its permissions
tls-not-pem = { $flag } { $path }: not a valid PEM file ({ $cause }): give the file in PEM (text with -----BEGIN lines)
tls-holds-nothing = it holds no PEM section: empty, or binary DER (convert a DER certificate with `openssl x509 -inform der -in FILE -out FILE.pem`)
tls-holds = it holds { $labels }

## config.rs: settings files.
settings-note = note: these options came from { $file }: { $keys }
settings-unreadable = cannot read the settings file { $path }: { $cause }
settings-not-toml = the settings file { $path } is not valid TOML, line { $line }, column { $column }: { $cause }
settings-bad-key = key `{ $key }` in the settings file { $path }: { $problem }
settings-bad-key-at = key `{ $key }` in the settings file { $path }, line { $line }, column { $column }: { $problem }
settings-unquoted = a text value must be quoted: write { $key } = { $value } ({ $cause })
settings-command-line-only = can only be given on the command line
settings-one-run = targets or identifies one run, so as a default it would change every run: give --{ $key } on the command line
settings-unknown-key = unknown key; the keys are the long option names: { $keys }
settings-did-you-mean = unknown key; did you mean `{ $near }`? The keys are the long option names: { $keys }
settings-flag = is a flag: write true or false
settings-not-a-list = takes one value, not a list
settings-bad-value = must be a string, a number or a boolean (or a list of them)

## context.rs: nats CLI contexts. { $how } is empty, or context-selected-in.
context-no-home = nats context { $name }: no home directory to find it in: set XDG_CONFIG_HOME, or drop --context / NATS_CONTEXT
context-selected-in = {" "}(selected in { $file })
context-invalid-name = invalid nats context name { $name }{ $how }: a context name is a file name without .json
context-no-file = no such file: create it with `nats context save`, or name another context
context-unreadable = cannot read it ({ $cause })
context-file-problem = nats context { $name }{ $how }: { $path }: { $what }
context-not-json = nats context { $name }{ $how }: { $path } is not a valid context file ({ $cause }): fix it with `nats context edit { $bare }`

## generate.rs and startup.rs
generate-unknown = --generate { $kind } is not one of: { $known }
startup-stdout = cannot write to stdout: { $cause }
