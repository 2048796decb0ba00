# Los mensajes de error de remote-message-cli, en español (véase en/).

## connection.rs: las opciones de conexión, y la conexión.
server-url-invalid = URL de --server no válida: { $cause }
server-url-unparsable = URL de --server no válida { $url }: { $cause }; se espera, por ejemplo, nats://host:4222, tls://host:4222, ws://host:8080 o wss://host:443
server-empty = --server está vacío: indique una URL de NATS como nats://127.0.0.1:4222
file-unreadable = { $flag } { $path }: no se puede leer como { $what } ({ $cause }): compruebe la ruta y sus permisos
file-as-creds = archivo de credenciales
file-as-nkey = archivo de semilla nkey
file-as-pem = archivo PEM
nkey-no-seed = --nkey { $path }: el archivo no contiene ninguna semilla nkey de usuario (una línea que empiece por SU)
conflicting-credentials = las URL de --server llevan credenciales distintas: indique un solo usuario y contraseña (o token) para todos los servidores, en una URL o en el archivo de configuración
user-without-password = --user { $user } es un usuario de conexión a NATS y no tiene contraseña: rechazado antes de conectar. El usuario de conexión viene de --user antes de la suborden, de NATS_USER o de `user` en el archivo de configuración o el contexto de nats; indique su contraseña en NATS_PASSWORD (o --password), o quítelo
tls-over-plain-websocket = una URL ws:// nunca va cifrada, pero se han dado opciones TLS: use wss:// para WebSocket sobre TLS
cause-connection-refused = conexión rechazada
connect-dns = no se puede resolver el servidor NATS de { $servers } ({ $cause }): compruebe --server o NATS_URL
connect-refused-credentials = NATS en { $servers } rechazó las credenciales ({ $cause }): compruebe --creds, --nkey, --token, --user y --password, el usuario y la contraseña de la URL, o el contexto de nats
connect-invalid-url = URL de servidor NATS no válida { $servers } ({ $cause }): compruebe --server o NATS_URL
connect-unreachable = no se puede conectar con NATS en { $servers } ({ $cause }): { $advice }
advice-is-server-running = ¿está en marcha nats-server? indique --server o NATS_URL
connect-tls = TLS con NATS en { $servers } ha fallado ({ $cause }): { $advice }
advice-tls-server-v1 = el certificado del servidor es X.509 versión 1, que rustls rechaza: dé al servidor un certificado de versión 3
advice-tls-not-spoken = el servidor no habla TLS en ese puerto: use nats:// o ws:// para un puerto sin TLS, o compruebe el puerto
advice-tls-check = compruebe --tls-ca, --tls-cert y --tls-key, y que la URL nombre el host que figura en el certificado del servidor
connect-timed-out = no se puede conectar con NATS en { $servers } (sin respuesta en { $within }): ¿está en marcha nats-server y es correcta la dirección? indique --server o NATS_URL, o un --timeout más largo
advice-websocket-port = ; un puerto websocket requiere ws:// o wss://
advice-ws-not-websocket = ese puerto no habla WebSocket (un puerto de cliente NATS requiere nats:// o tls://): indique el puerto websocket del servidor
advice-ws-tls = el servidor rechazó el handshake de WebSocket: si su listener websocket tiene TLS, use wss://
advice-ws-refused = el servidor, o un proxy intermedio, rechazó el handshake de WebSocket: compruebe el host, el puerto y la ruta de la URL

## creds_check.rs: por qué NATS rechaza un archivo de credenciales. { $creds } es el archivo (o stdin).
creds-refused = NATS en { $servers } rechaza las credenciales de { $creds }: { $cause }
creds-expired = su JWT de usuario caducó el { $at }: pida credenciales nuevas a ops (`publisher admin agent-creds` para un agente, `publisher admin ops-creds` para ops)
creds-not-yet-valid = su JWT de usuario no es válido hasta el { $until }: espere hasta entonces o compruebe el reloj de esta máquina
creds-unknown-account = el servidor no conoce su cuenta { $account }: vienen de otra instalación (otro `publisher admin init`, otro operador), o su cuenta de sesión nunca se envió a este servidor (ops: `publisher --server URL admin push`)
creds-agent-for-ops = son las credenciales de un agente (sesión { $session }), y el publisher necesita credenciales de ops: indique el ops.creds de `publisher admin init`, o unas nuevas de `publisher admin ops-creds`
creds-ops-for-agent = son credenciales de ops (firmadas por una clave con ámbito de la cuenta { $account }, sin etiqueta user:), y un agente necesita las de su propia sesión: `publisher admin agent-creds`
creds-wrong-role = las credenciales de { $creds }: { $cause }
# connection.rs: --creds -, las credenciales leídas de la entrada estándar.
stdin-creds-terminal = --creds -: la entrada estándar es un terminal; envíe las credenciales por una tubería (p. ej. desde el programa que inicia el agente) o indique un archivo de credenciales
stdin-creds-unreadable = --creds -: no se pueden leer las credenciales de la entrada estándar ({ $cause })
stdin-creds-not-creds = --creds -: lo recibido por la entrada estándar no es un archivo de credenciales NATS (un bloque de JWT de usuario y un bloque de semilla nkey)
stdin-creds-agent-only = --creds - (credenciales por la entrada estándar) solo lo admite el agente (subscriber): indique un archivo de credenciales
## tls_files.rs: los archivos --tls-*, comprobados antes de conectar.
tls-cert-version-1 = { $flag } { $path }: el certificado ({ $subject }) es X.509 versión 1, y TLS aquí (rustls) solo admite la versión 3: cree uno de versión 3, por ejemplo firmando la solicitud con `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -out client.pem -days 365 -extfile v3.ext`, donde v3.ext contiene una línea como `basicConstraints=CA:FALSE` (cualquier extensión lo hace de versión 3), o cree uno autofirmado con `openssl req -x509`
tls-no-certificate = { $flag } { $path }: no contiene ningún certificado ({ $holds }): indique el archivo PEM que contiene una sección -----BEGIN CERTIFICATE-----
tls-certificate-malformed = { $flag } { $path }: un certificado del archivo no se puede analizar ({ $cause }): indique un certificado X.509 en PEM
tls-key-problem = { $flag } { $path }: { $advice }
tls-key-encrypted = la clave privada está cifrada con una frase de contraseña, y el agente no puede pedirla: descífrela una vez con `openssl pkey -in KEY -out KEY.plain`, haga que KEY.plain solo la pueda leer su usuario, e indique esa
tls-no-key = no contiene ninguna clave privada ({ $holds }): indique el archivo PEM que contiene una sección -----BEGIN PRIVATE KEY-----
tls-key-unsupported = la clave privada no se puede usar ({ $cause }): indique una clave RSA, ECDSA (P-256 o P-384) o Ed25519
tls-key-mismatch = no es la clave privada de --tls-cert { $cert } (sus claves públicas difieren): indique la clave para la que se creó el certificado
tls-file-unreadable = { $flag } { $path }: no se puede leer ({ $cause }): compruebe la ruta y sus permisos
tls-not-pem = { $flag } { $path }: no es un archivo PEM válido ({ $cause }): indique el archivo en PEM (texto con líneas -----BEGIN)
tls-holds-nothing = no contiene ninguna sección PEM: está vacío, o es DER binario (convierta un certificado DER con `openssl x509 -inform der -in FILE -out FILE.pem`)
tls-holds = contiene { $labels }

## config.rs: archivos de configuración.
settings-note = nota: estas opciones venían de { $file }: { $keys }
settings-unreadable = no se puede leer el archivo de configuración { $path }: { $cause }
settings-not-toml = el archivo de configuración { $path } no es TOML válido, línea { $line }, columna { $column }: { $cause }
settings-bad-key = clave `{ $key }` del archivo de configuración { $path }: { $problem }
settings-bad-key-at = clave `{ $key }` del archivo de configuración { $path }, línea { $line }, columna { $column }: { $problem }
settings-unquoted = un valor de texto debe ir entre comillas: escriba { $key } = { $value } ({ $cause })
settings-command-line-only = solo se puede dar en la línea de órdenes
settings-one-run = designa o identifica una sola ejecución, así que como valor por defecto cambiaría todas: indique --{ $key } en la línea de órdenes
settings-unknown-key = clave desconocida; las claves son los nombres largos de las opciones: { $keys }
settings-did-you-mean = clave desconocida; ¿quería decir `{ $near }`? Las claves son los nombres largos de las opciones: { $keys }
settings-flag = es un indicador: escriba true o false
settings-not-a-list = admite un solo valor, no una lista
settings-bad-value = debe ser una cadena, un número o un booleano (o una lista de ellos)

## context.rs: contextos de la CLI nats. { $how } está vacío, o es context-selected-in.
context-no-home = contexto de nats { $name }: no hay directorio personal donde buscarlo: defina XDG_CONFIG_HOME, o quite --context / NATS_CONTEXT
context-selected-in = {" "}(seleccionado en { $file })
context-invalid-name = nombre de contexto de nats no válido { $name }{ $how }: un nombre de contexto es un nombre de archivo sin .json
context-no-file = no existe el archivo: créelo con `nats context save`, o indique otro contexto
context-unreadable = no se puede leer ({ $cause })
context-file-problem = contexto de nats { $name }{ $how }: { $path }: { $what }
context-not-json = contexto de nats { $name }{ $how }: { $path } no es un archivo de contexto válido ({ $cause }): corríjalo con `nats context edit { $bare }`

## generate.rs y startup.rs
generate-unknown = --generate { $kind } no es ninguno de: { $known }
startup-stdout = no se puede escribir en la salida estándar: { $cause }
