# Lo que el publisher muestra a las personas, en español.

## publisher send: una línea por mensaje, y los totales si esperó.
sent-line = enviado { $id } a { $subject }{ $outcome }
outcome-delivered = : entregado
outcome-delivered-read = : entregado, leído
## Cómo lo mostró el agente ($via: desktop, terminal, json, exec, las palabras
## del recibo y de --output, iguales en todos los idiomas).
outcome-delivered-via = : entregado ({ $via })
outcome-delivered-via-read = : entregado ({ $via }), leído
outcome-not-connected = : no conectada
outcome-not-connected-stored = : no conectada (guardado: se mostrará cuando esa sesión vuelva)
outcome-no-confirmation = : sin confirmación en { $within }
send-duplicate = el stream ya tenía este id de envío: los agentes que lo mostraron no lo mostrarán de nuevo
send-delivered = entregado a { $delivered } de { $expected ->
    [one] { $expected } sesión
   *[other] { $expected } sesiones
}
send-missing = ; faltan: { $sessions }
send-also-delivered = también entregado a sesiones que se conectaron entretanto: { $sessions }
send-read = leído por { $read } de { $delivered ->
    [one] { $delivered } entregado
   *[other] { $delivered } entregados
}
send-read-unsupported = ; no pueden informar de la lectura: { $sessions }

## publisher sessions: los encabezados de columna y el total.
column-session = SESIÓN
column-user = USUARIO
column-host = EQUIPO
column-since = DESDE
column-version = VERSIÓN
session-count = { $count ->
    [one] { $count } sesión
   *[other] { $count } sesiones
}

## publisher setup
stream-ready = stream { $stream } listo: subjects broadcast, session.*; retención { $retention }; { $replicas ->
    [one] { $replicas } réplica
   *[other] { $replicas } réplicas
}; máximo { $bytes ->
    [one] { $bytes } byte
   *[other] { $bytes } bytes
}

## publisher admin
admin-kept = { $dir } ya contiene una configuración: se conserva tal cual
admin-not-pushed = la cuenta de la sesión { $session } se guarda en el directorio de administración pero NO se ha enviado: estas credenciales funcionarán cuando `publisher --server URL admin push` la envíe
admin-pushed = { $count ->
    [one] { $count } cuenta de sesión enviada
   *[other] { $count } cuentas de sesión enviadas
} a { $servers }
admin-creds-written = escrito { $file } (modo 0600): entréguelo solo a esa máquina, por un canal privado

## Errores: lo que dice `publisher: …` en stderr.
runtime-failed = no se puede iniciar el runtime asíncrono: { $cause }
admin-dir-taken = { $dir } ya contiene una configuración ({ $files }); no se ha escrito nada. Sus claves firman las credenciales entregadas: consérvela, o indique un directorio nuevo en --out
cannot-write = no se puede escribir { $path } ({ $cause })
seed-encoding = no se puede codificar una semilla: { $cause }
jwt-encoding = no se puede escribir un JWT: { $cause }
admin-key-unreadable = no se puede leer { $path } ({ $cause }): ¿es { $dir } un directorio creado con `publisher admin init`?
admin-no-seed = { $path } no contiene ninguna semilla válida
session-id-like-key = el id de sesión { $id } parece una clave pública de NATS (56 caracteres de A–Z y 2–7); los consumidores de difusión de los agentes llevan esos nombres: elija otro id de sesión
admin-dir-missing = ¿qué directorio de administración? indique --dir DIR (el que creó `publisher admin init --out DIR`) o defina { $env }
admin-dir-legacy = { $dir } lo creó una versión anterior, sin el muro de cuentas: sus agentes comparten una cuenta con el flujo y cualquiera de ellos puede borrar todos los mensajes guardados. No se escribió nada. Cree una configuración nueva con `publisher admin init --out NUEVO-DIR`, ejecute nats-server con NUEVO-DIR/nats-server.conf, genere credenciales nuevas para cada agente (`publisher admin agent-creds --dir NUEVO-DIR …`) y para ops, y retire { $dir }
admin-push-failed = no se pudo enviar la cuenta de la sesión { $session } a { $servers }: { $cause }. No se escribieron credenciales. ¿Se ejecuta nats-server con el nats-server.conf de { $dir } (su resolver full)? Indique su dirección con --server, o genere con --no-push y ejecute `publisher admin push` más tarde
admin-accounts-unreadable = no se pueden leer las cuentas de sesión en { $path } ({ $cause })
keygen-cannot-create = no se puede crear { $path } ({ $cause }): indique un archivo nuevo en --out (una clave existente nunca se sobrescribe)
creds-out-exists = { $path } ya existe: no se ha enviado ni escrito nada; indique otro --out, o --force para reemplazarlo
flush-timed-out = NATS en { $servers } no confirmó a tiempo: puede que el mensaje no se haya enviado
server-refused = NATS en { $servers } rechazó la petición: { $refusals }
no-jetstream = NATS en { $servers } no tiene JetStream: inicie nats-server con -js (o jetstream {"{}"} en su configuración) para guardar los mensajes para los agentes desconectados
stdin-unreadable = no se puede leer el mensaje de la entrada estándar: { $cause }
stdin-not-utf8 = el mensaje de la entrada estándar no es UTF-8 válido: conviértalo antes a UTF-8
not-confirmed = { $missing } de { $expected ->
    [one] { $expected } sesión
   *[other] { $expected } sesiones
} no { $missing ->
    [one] confirmó
   *[other] confirmaron
}: { $sessions }
login-user-not-target = { $refusal }. Para enviar a las sesiones del usuario { $user }, indíquelo después de send: publisher send --user { $user } MENSAJE
user-empty = --user { $user } está vacío: indique un nombre de usuario tal como lo muestra `publisher sessions`
seal-broadcast = --seal requiere --session o --user: una difusión es para todos y no se puede sellar para una sola clave
message-too-big = el mensaje ocupa { $size ->
    [one] { $size } byte
   *[other] { $size } bytes
} en la red, pero el servidor admite como máximo { $max }: acorte el texto (no se ha enviado nada)
no-live-users = ninguno
no-session-for-user = no hay ninguna sesión activa del usuario { $user }; usuarios activos: { $known }; no se ha enviado nada
seal-not-live = la sesión { $session } no está activa, así que se desconoce su clave: no se puede sellar para ella; no se ha enviado nada
seal-no-key = la sesión { $session } no anuncia ninguna clave con la que sellar (un agente antiguo o ajeno); no se ha enviado nada
seal-failed = no se puede sellar para la sesión { $session }: { $cause }
ack-timed-out = el stream no confirmó el mensaje a tiempo: puede que no esté guardado; envíelo de nuevo con el mismo --id para asegurarse
unfinished-more = {" "}y { $more } más
unfinished = el envío no terminó en { $within } (--timeout): { $stored ->
    [yes] el stream confirmó haber guardado { $done } de { $total ->
        [one] { $total } mensaje
       *[other] { $total } mensajes
    }; sin confirmar: { $named }; puede que no estén guardados; envíelos de nuevo con el mismo --id (los guardados nunca se muestran dos veces) o con un --timeout más largo
   *[no] NATS aceptó { $done } de { $total ->
        [one] { $total } mensaje
       *[other] { $total } mensajes
    }; sin confirmar: { $named }; puede que no se hayan enviado; envíelos de nuevo con el mismo --id o con un --timeout más largo
}
## Lo que falló, antes de ": <el error del servidor>".
failed-flushing = el vaciado falló
failed-listing-sessions = no se pudieron listar las sesiones
failed-creating-stream = no se pudo crear el stream
failed-stream = el stream de mensajes no se puede usar
failed-publishing = la publicación falló
failed-storing = el stream no guardó el mensaje (envíelo de nuevo con el mismo --id)
failed-subscribing = la suscripción a los acuses falló
failed-call = { $what }: { $cause }
text-empty = el texto del mensaje está vacío: indique el texto que se mostrará, o - para leerlo de la entrada estándar
title-empty = el título está vacío: omita --title, o escriba algún texto
sign-key-unreadable = --sign-key { $path }: no se puede leer ({ $cause })
sign-key-no-seed = --sign-key { $path }: no contiene ninguna semilla nkey de usuario: cree una con `publisher keygen --out FICHERO`

## What became of a send at each session (publisher status, send --answer
## --wait, recall --wait); $at is an RFC 3339 time, $via how it was shown.
tally-delivered = entregado a las { $at }
tally-delivered-via = entregado a las { $at } ({ $via })
tally-read = leído a las { $at }
tally-answered = respondió { $answer } a las { $at }
tally-invalid-answer = respondió { $answer } a las { $at } (no ofrecida, no contada)
tally-recalled = retirado a las { $at }
tally-recalled-seen = retirado a las { $at } (se había mostrado)
tally-recalled-unseen = retirado a las { $at } (nunca mostrado)
tally-expired = caducado a las { $at }
tally-nothing = nada todavía
tally-not-targeted = {" "}(no destinataria)
tally-counts = respuestas: { $counts }
tally-delivered-total = entregado a { $done } de { $targets }
tally-read-total = leído por { $done } de { $targets }
tally-answered-total = respondido por { $done } de { $targets }
tally-not-yet = ; todavía no: { $sessions }
tally-invalid = respuestas no ofrecidas (no contadas) de: { $sessions }

## publisher status and recall.
status-send = envío { $send }, enviado a las { $at } por { $sender } a { $target }: { $text }
status-answers = respuestas ofrecidas: { $answers }
status-recalled = retirado a las { $at } por { $by }
status-no-record = sin registro del envío (¿enviado antes de existir el registro?): se muestran las sesiones que escribieron filas
recall-published = orden de retirada de { $send } publicada en broadcast
recall-deleted = copias guardadas borradas de { $stream }: { $deleted }
recall-waiting = esperando a las sesiones que lo tenían: { $sessions }
recall-none-answered = sin fila de retirada de: { $sessions }
unknown-send = no hay registro del envío { $send } en el registro ({ $stream }): compruebe el id, o la retención del registro
no-ledger = este servidor NATS no tiene JetStream, así que no hay registro ({ $servers }): status y recall lo necesitan
failed-reading-ledger = falló la lectura del registro
failed-recording-send = falló el registro del envío
failed-deleting = falló el borrado de una copia guardada
ledger-ready = registro { $stream } listo: subjects ledger.*.*, sends.*.*; retención { $retention }; máx. { $bytes } bytes
