# Ce que le publisher affiche pour les personnes, en français.

## publisher send : une ligne par message, puis les totaux s'il a attendu.
sent-line = envoyé { $id } à { $subject }{ $outcome }
outcome-delivered = { " " }: remis
outcome-delivered-read = { " " }: remis, lu
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
stream-ready = stream { $stream } prêt : subjects broadcast, session.* ; rétention { $retention } ; réplicas { $replicas } ; max { $bytes } octets

## publisher admin
admin-kept = { $dir } contient déjà une configuration : conservée telle quelle
admin-creds-written = { $file } écrit (mode 0600) : à remettre à cette machine seulement, par un canal privé
