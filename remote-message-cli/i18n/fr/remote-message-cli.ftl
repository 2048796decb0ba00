# Les messages d'erreur de remote-message-cli, en français (voir en/).

## connection.rs : les options de connexion, et la connexion.
server-url-invalid = URL --server invalide : { $cause }
server-url-unparsable = URL --server invalide { $url } : { $cause } ; attendu par exemple nats://host:4222, tls://host:4222, ws://host:8080 ou wss://host:443
server-empty = --server est vide : donnez une URL NATS comme nats://127.0.0.1:4222
file-unreadable = { $flag } { $path } : impossible de le lire comme { $what } ({ $cause }) : vérifiez le chemin et ses droits
file-as-creds = fichier d'identifiants
file-as-nkey = fichier de graine nkey
file-as-pem = fichier PEM
nkey-no-seed = --nkey { $path } : aucune graine nkey d'utilisateur (une ligne commençant par SU) dans le fichier
conflicting-credentials = les URL de --server portent des identifiants différents : donnez un seul utilisateur et mot de passe (ou jeton) pour tous les serveurs, dans une URL ou dans le fichier de réglages
user-without-password = --user { $user } est un utilisateur de connexion à NATS, sans mot de passe : refusé avant de se connecter. L'utilisateur de connexion vient de --user avant la sous-commande, de NATS_USER, ou de `user` dans le fichier de réglages ou le contexte nats ; donnez son mot de passe dans NATS_PASSWORD (ou --password), ou retirez-le
tls-over-plain-websocket = une URL ws:// n'est jamais chiffrée, et pourtant des options TLS sont données : utilisez wss:// pour WebSocket sur TLS
cause-connection-refused = connexion refusée
connect-dns = impossible de résoudre le serveur NATS de { $servers } ({ $cause }) : vérifiez --server ou NATS_URL
connect-refused-credentials = NATS à { $servers } a refusé les identifiants ({ $cause }) : vérifiez --creds, --nkey, --token, --user et --password, l'utilisateur et le mot de passe de l'URL, ou le contexte nats
connect-invalid-url = URL de serveur NATS invalide { $servers } ({ $cause }) : vérifiez --server ou NATS_URL
connect-unreachable = impossible de joindre NATS à { $servers } ({ $cause }) : { $advice }
advice-is-server-running = nats-server est-il lancé ? indiquez --server ou NATS_URL
connect-tls = TLS avec NATS à { $servers } a échoué ({ $cause }) : { $advice }
advice-tls-server-v1 = le certificat du serveur est en X.509 version 1, que rustls refuse : donnez au serveur un certificat de version 3
advice-tls-not-spoken = le serveur ne parle pas TLS sur ce port : utilisez nats:// ou ws:// pour un port sans TLS, ou vérifiez le port
advice-tls-check = vérifiez --tls-ca, --tls-cert et --tls-key, et que l'URL nomme l'hôte du certificat du serveur
connect-timed-out = impossible de joindre NATS à { $servers } (pas de réponse en { $within }) : nats-server est-il lancé et l'adresse juste ? indiquez --server ou NATS_URL, ou un --timeout plus long
advice-websocket-port = {" "}; un port websocket se donne en ws:// ou wss://
advice-ws-not-websocket = ce port ne parle pas WebSocket (un port client NATS se donne en nats:// ou tls://) : donnez le port websocket du serveur
advice-ws-tls = le serveur a refusé la poignée de main WebSocket : si son écouteur websocket a TLS, utilisez wss://
advice-ws-refused = le serveur, ou un proxy en chemin, a refusé la poignée de main WebSocket : vérifiez l'hôte, le port et le chemin de l'URL

## creds_check.rs : pourquoi NATS refuse un fichier d'identifiants. { $creds } est le fichier (ou stdin).
creds-refused = NATS sur { $servers } refuse les identifiants de { $creds } : { $cause }
creds-expired = leur JWT utilisateur a expiré le { $at } : demandez de nouveaux identifiants à ops (`publisher admin agent-creds` pour un agent, `publisher admin ops-creds` pour ops)
creds-not-yet-valid = leur JWT utilisateur n'est pas valide avant le { $until } : attendez jusque-là, ou vérifiez l'horloge de cette machine
creds-unknown-account = le serveur ne connaît pas leur compte { $account } : ils viennent d'une autre installation (un autre `publisher admin init`, un autre opérateur), ou leur compte de session n'a jamais été envoyé à ce serveur (ops : `publisher --server URL admin push`)
creds-agent-for-ops = ce sont les identifiants d'un agent (session { $session }), et le publisher a besoin d'identifiants ops : donnez le ops.creds de `publisher admin init`, ou de nouveaux avec `publisher admin ops-creds`
creds-ops-for-agent = ce sont des identifiants ops (signés par une clé à portée du compte { $account }, sans étiquette user:), et un agent a besoin de ceux de sa propre session : `publisher admin agent-creds`
creds-wrong-role = les identifiants de { $creds } : { $cause }
# connection.rs : --creds -, les identifiants lus sur l'entrée standard.
stdin-creds-terminal = --creds - : l'entrée standard est un terminal ; envoyez les identifiants par un tube (p. ex. depuis le programme qui lance l'agent), ou donnez un fichier d'identifiants
stdin-creds-unreadable = --creds - : impossible de lire les identifiants sur l'entrée standard ({ $cause })
stdin-creds-not-creds = --creds - : ce qui est arrivé sur l'entrée standard n'est pas un fichier d'identifiants NATS (un bloc JWT utilisateur et un bloc de graine nkey)
stdin-creds-agent-only = --creds - (identifiants sur l'entrée standard) n'est accepté que par l'agent (subscriber) : donnez un fichier d'identifiants
## tls_files.rs : les fichiers --tls-*, vérifiés avant de se connecter.
tls-cert-version-1 = { $flag } { $path } : le certificat ({ $subject }) est en X.509 version 1, et TLS ici (rustls) n'accepte que la version 3 : faites-en un de version 3, par exemple en signant la demande avec `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -out client.pem -days 365 -extfile v3.ext`, où v3.ext contient une ligne comme `basicConstraints=CA:FALSE` (toute extension le rend de version 3), ou faites-en un auto-signé avec `openssl req -x509`
tls-no-certificate = { $flag } { $path } : aucun certificat dedans ({ $holds }) : donnez le fichier PEM qui contient une section -----BEGIN CERTIFICATE-----
tls-certificate-malformed = { $flag } { $path } : un certificat du fichier ne se lit pas ({ $cause }) : donnez un certificat X.509 en PEM
tls-key-problem = { $flag } { $path } : { $advice }
tls-key-encrypted = la clé privée est chiffrée par une phrase secrète, que l'agent ne peut pas demander : déchiffrez-la une fois avec `openssl pkey -in KEY -out KEY.plain`, rendez KEY.plain lisible par son seul utilisateur, et donnez celle-là
tls-no-key = aucune clé privée dedans ({ $holds }) : donnez le fichier PEM qui contient une section -----BEGIN PRIVATE KEY-----
tls-key-unsupported = la clé privée est inutilisable ({ $cause }) : donnez une clé RSA, ECDSA (P-256 ou P-384) ou Ed25519
tls-key-mismatch = ce n'est pas la clé privée de --tls-cert { $cert } (leurs clés publiques diffèrent) : donnez la clé pour laquelle le certificat a été fait
tls-file-unreadable = { $flag } { $path } : impossible de le lire ({ $cause }) : vérifiez le chemin et ses droits
tls-not-pem = { $flag } { $path } : pas un fichier PEM valide ({ $cause }) : donnez le fichier en PEM (du texte avec des lignes -----BEGIN)
tls-holds-nothing = il ne contient aucune section PEM : vide, ou DER binaire (convertissez un certificat DER avec `openssl x509 -inform der -in FILE -out FILE.pem`)
tls-holds = il contient { $labels }

## config.rs : les fichiers de réglages.
settings-note = note : ces options venaient de { $file } : { $keys }
settings-unreadable = impossible de lire le fichier de réglages { $path } : { $cause }
settings-not-toml = le fichier de réglages { $path } n'est pas du TOML valide, ligne { $line }, colonne { $column } : { $cause }
settings-bad-key = clé `{ $key }` du fichier de réglages { $path } : { $problem }
settings-bad-key-at = clé `{ $key }` du fichier de réglages { $path }, ligne { $line }, colonne { $column } : { $problem }
settings-unquoted = une valeur texte doit être entre guillemets : écrivez { $key } = { $value } ({ $cause })
settings-command-line-only = ne peut être donnée que sur la ligne de commande
settings-one-run = vise ou identifie une seule exécution, donc comme valeur par défaut elle changerait toutes les autres : donnez --{ $key } sur la ligne de commande
settings-unknown-key = clé inconnue ; les clés sont les noms longs des options : { $keys }
settings-did-you-mean = clé inconnue ; vouliez-vous dire `{ $near }` ? Les clés sont les noms longs des options : { $keys }
settings-flag = est un interrupteur : écrivez true ou false
settings-not-a-list = prend une seule valeur, pas une liste
settings-bad-value = doit être une chaîne, un nombre ou un booléen (ou une liste de ceux-ci)

## context.rs : les contextes de la CLI nats. { $how } est vide, ou context-selected-in.
context-no-home = contexte nats { $name } : aucun répertoire personnel où le chercher : définissez XDG_CONFIG_HOME, ou retirez --context / NATS_CONTEXT
context-selected-in = {" "}(sélectionné dans { $file })
context-invalid-name = nom de contexte nats invalide { $name }{ $how } : un nom de contexte est un nom de fichier sans .json
context-no-file = fichier introuvable : créez-le avec `nats context save`, ou nommez un autre contexte
context-unreadable = impossible de le lire ({ $cause })
context-file-problem = contexte nats { $name }{ $how } : { $path } : { $what }
context-not-json = contexte nats { $name }{ $how } : { $path } n'est pas un fichier de contexte valide ({ $cause }) : corrigez-le avec `nats context edit { $bare }`

## generate.rs et startup.rs
generate-unknown = --generate { $kind } n'est pas l'un de : { $known }
startup-stdout = impossible d'écrire sur la sortie standard : { $cause }
