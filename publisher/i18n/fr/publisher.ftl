# Ce que le publisher affiche pour les personnes, en français.

## publisher send : une ligne par message, puis les totaux s'il a attendu.
sent-line = envoyé { $id } à { $subject }{ $outcome }
outcome-delivered = { " " }: remis
outcome-delivered-read = { " " }: remis, lu
## Comment l'agent l'a montré ($via : desktop, terminal, json, exec, les mots
## du reçu et de --output, les mêmes dans toutes les langues).
outcome-delivered-via = { " " }: remis ({ $via })
outcome-delivered-via-read = { " " }: remis ({ $via }), lu
outcome-not-connected = { " " }: non connectée
outcome-not-connected-stored = { " " }: non connectée (stocké : affiché quand cette session reviendra)
outcome-no-confirmation = { " " }: aucune confirmation en { $within }
send-duplicate = le stream avait déjà cet id d'envoi : les agents qui l'ont affiché ne l'afficheront pas à nouveau
send-delivered = remis à { $delivered ->
    [one] { $delivered } session
   *[other] { $delivered } sessions
} sur { $expected }
send-missing = { " " }; manquantes : { $sessions }
send-also-delivered = également remis à des sessions arrivées entre-temps : { $sessions }
send-read = lu par { $read } sur { $delivered } remis
send-read-unsupported = { " " }; lecture non signalable : { $sessions }

## publisher sessions : les en-têtes de colonnes, et le total.
column-session = SESSION
column-user = UTILISATEUR
column-host = MACHINE
column-since = DEPUIS
column-version = VERSION
session-count = { $count ->
    [one] { $count } session
   *[other] { $count } sessions
}

## publisher setup
stream-ready = stream { $stream } prêt : subjects broadcast, session.* ; rétention { $retention } ; { $replicas ->
    [one] { $replicas } réplica
   *[other] { $replicas } réplicas
} ; max { $bytes ->
    [one] { $bytes } octet
   *[other] { $bytes } octets
}

## publisher admin
admin-kept = { $dir } contient déjà une configuration : conservée telle quelle
admin-not-pushed = le compte de la session { $session } est gardé dans le répertoire d'administration mais n'est PAS envoyé : ces identifiants fonctionneront une fois que `publisher --server URL admin push` l'aura envoyé
admin-pushed = { $count ->
    [one] { $count } compte de session envoyé
   *[other] { $count } comptes de session envoyés
} à { $servers }
admin-creds-written = { $file } écrit (mode 0600) : à remettre à cette machine seulement, par un canal privé

## Erreurs : ce que dit `publisher: …` sur stderr.
runtime-failed = impossible de démarrer le runtime asynchrone : { $cause }
admin-dir-taken = { $dir } contient déjà une installation ({ $files }) ; rien n'a été écrit. Ses clés signent les identifiants distribués : gardez-la, ou donnez à --out un nouveau répertoire
cannot-write = impossible d'écrire { $path } ({ $cause })
seed-encoding = impossible d'encoder une graine : { $cause }
jwt-encoding = impossible d'écrire un JWT : { $cause }
admin-key-unreadable = impossible de lire { $path } ({ $cause }) : { $dir } est-il un répertoire créé par `publisher admin init` ?
admin-no-seed = { $path } ne contient aucune graine valide
session-id-like-key = l'identifiant de session { $id } ressemble à une clé publique NATS (56 caractères de A–Z et 2–7) ; les consommateurs de diffusion des agents portent de tels noms : choisissez un autre identifiant de session
admin-dir-missing = quel répertoire d'administration ? passez --dir DIR (celui que `publisher admin init --out DIR` a créé) ou définissez { $env }
admin-dir-legacy = { $dir } a été créé par une version antérieure, sans le mur de comptes : ses agents partagent un compte avec le flux, et n'importe lequel d'entre eux peut effacer tous les messages stockés. Rien n'a été écrit. Créez une nouvelle configuration avec `publisher admin init --out NOUVEAU-DIR`, lancez nats-server avec NOUVEAU-DIR/nats-server.conf, créez de nouveaux identifiants pour chaque agent (`publisher admin agent-creds --dir NOUVEAU-DIR …`) et pour ops, puis retirez { $dir }
admin-push-failed = impossible d'envoyer le compte de la session { $session } à { $servers } : { $cause }. Aucun identifiant n'a été écrit. nats-server tourne-t-il avec le nats-server.conf de { $dir } (son resolver full) ? Donnez son adresse avec --server, ou créez avec --no-push et lancez `publisher admin push` plus tard
admin-accounts-unreadable = impossible de lire les comptes de session dans { $path } ({ $cause })
keygen-cannot-create = impossible de créer { $path } ({ $cause }) : donnez un nouveau fichier à --out (une clé existante n'est jamais écrasée)
creds-out-exists = { $path } existe déjà : rien n'a été poussé ni écrit ; donnez un autre --out, ou --force pour le remplacer
flush-timed-out = NATS à { $servers } n'a pas confirmé à temps : le message n'a peut-être pas été envoyé
server-refused = NATS à { $servers } a refusé la requête : { $refusals }
no-jetstream = NATS à { $servers } n'a pas JetStream : lancez nats-server avec -js (ou jetstream {"{}"} dans sa configuration) pour garder les messages des agents hors ligne
stdin-unreadable = impossible de lire le message sur l'entrée standard : { $cause }
stdin-not-utf8 = le message sur l'entrée standard n'est pas de l'UTF-8 valide : convertissez-le d'abord en UTF-8
not-confirmed = { $missing ->
    [one] { $missing } session sur { $expected } n'a pas confirmé
   *[other] { $missing } sessions sur { $expected } n'ont pas confirmé
} : { $sessions }
login-user-not-target = { $refusal }. Pour envoyer aux sessions de l'utilisateur { $user }, nommez-le après send : publisher send --user { $user } MESSAGE
user-empty = --user { $user } est vide : donnez un nom d'utilisateur tel que `publisher sessions` l'affiche
seal-broadcast = --seal demande --session ou --user : une diffusion est pour tout le monde et ne peut pas être scellée pour une seule clé
message-too-big = le message fait { $size ->
    [one] { $size } octet
   *[other] { $size } octets
} sur le réseau, mais le serveur en accepte au plus { $max } : raccourcissez le texte (rien n'a été envoyé)
no-live-users = aucun
no-session-for-user = aucune session active pour l'utilisateur { $user } ; utilisateurs actifs : { $known } ; rien n'a été envoyé
seal-not-live = la session { $session } n'est pas active, sa clé est donc inconnue : impossible de sceller pour elle ; rien n'a été envoyé
seal-no-key = la session { $session } n'annonce aucune clé pour sceller (un agent ancien ou étranger) ; rien n'a été envoyé
seal-failed = impossible de sceller pour la session { $session } : { $cause }
ack-timed-out = le stream n'a pas accusé réception du message à temps : il n'est peut-être pas enregistré ; renvoyez-le avec le même --id pour en être sûr
unfinished-more = {" "}et { $more } de plus
unfinished = l'envoi ne s'est pas terminé en { $within } (--timeout) : { $stored ->
    [yes] le stream a confirmé l'enregistrement de { $done ->
        [one] { $done } message
       *[other] { $done } messages
    } sur { $total } ; non confirmés : { $named } ; ils ne sont peut-être pas enregistrés ; renvoyez-les avec le même --id (ceux enregistrés ne s'affichent jamais deux fois) ou un --timeout plus long
   *[no] NATS a pris { $done ->
        [one] { $done } message
       *[other] { $done } messages
    } sur { $total } ; non confirmés : { $named } ; ils n'ont peut-être pas été envoyés ; renvoyez-les avec le même --id ou un --timeout plus long
}
## Ce qui a échoué, avant « : <l'erreur du serveur> ».
failed-flushing = le vidage a échoué
failed-listing-sessions = la liste des sessions a échoué
failed-creating-stream = la création du stream a échoué
failed-stream = le stream des messages est inutilisable
failed-publishing = la publication a échoué
failed-storing = le stream n'a pas enregistré le message (renvoyez-le avec le même --id)
failed-subscribing = l'abonnement aux accusés de réception a échoué
failed-call = { $what } : { $cause }
text-empty = le texte du message est vide : donnez le texte à afficher, ou - pour le lire sur l'entrée standard
title-empty = le titre est vide : omettez --title, ou donnez-lui un texte
sign-key-unreadable = --sign-key { $path } : impossible de le lire ({ $cause })
sign-key-no-seed = --sign-key { $path } : aucune graine nkey d'utilisateur dedans : créez-en une avec `publisher keygen --out FICHIER`

## What became of a send at each session (publisher status, send --answer
## --wait, recall --wait); $at is an RFC 3339 time, $via how it was shown.
tally-delivered = remis à { $at }
tally-delivered-via = remis à { $at } ({ $via })
tally-read = lu à { $at }
tally-answered = a répondu { $answer } à { $at }
tally-invalid-answer = a répondu { $answer } à { $at } (non proposée, non comptée)
tally-recalled = rappelé à { $at }
tally-recalled-seen = rappelé à { $at } (il avait été affiché)
tally-recalled-unseen = rappelé à { $at } (jamais affiché)
tally-expired = expiré à { $at }
tally-nothing = rien encore
tally-not-targeted = {" "}(non visée)
tally-counts = réponses : { $counts }
tally-delivered-total = remis à { $done } sur { $targets }
tally-read-total = lu par { $done } sur { $targets }
tally-answered-total = répondu par { $done } sur { $targets }
tally-not-yet = ; pas encore : { $sessions }
tally-invalid = réponses non proposées (non comptées) de : { $sessions }

## publisher status and recall.
status-send = envoi { $send }, envoyé à { $at } par { $sender } à { $target } : { $text }
status-answers = réponses proposées : { $answers }
status-recalled = rappelé à { $at } par { $by }
status-no-record = pas d'enregistrement de l'envoi (envoyé avant que le registre existe ?) : voici les sessions qui ont écrit des lignes
recall-published = ordre de rappel de { $send } publié sur broadcast
recall-deleted = copies stockées supprimées de { $stream } : { $deleted }
recall-waiting = en attente des sessions qui l'avaient : { $sessions }
recall-none-answered = pas de ligne de rappel de : { $sessions }
unknown-send = aucun enregistrement de l'envoi { $send } dans le registre ({ $stream }) : vérifiez l'id, ou la rétention du registre
no-ledger = ce serveur NATS n'a pas JetStream, donc pas de registre ({ $servers }) : status et recall en ont besoin
failed-reading-ledger = la lecture du registre a échoué
failed-recording-send = l'enregistrement de l'envoi a échoué
failed-deleting = la suppression d'une copie stockée a échoué
ledger-ready = registre { $stream } prêt : sujets ledger.*.*, sends.*.* ; rétention { $retention } ; max { $bytes } octets
