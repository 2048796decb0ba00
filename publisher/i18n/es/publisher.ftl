# Lo que el publisher muestra a las personas, en español.

## publisher send: una línea por mensaje, y los totales si esperó.
sent-line = enviado { $id } a { $subject }{ $outcome }
outcome-delivered = : entregado
outcome-delivered-read = : entregado, leído
outcome-not-connected = : no conectada
outcome-not-connected-stored = : no conectada (guardado: se mostrará cuando esa sesión vuelva)
outcome-no-confirmation = : sin confirmación en { $within }
send-duplicate = el stream ya tenía este id de envío: los agentes que lo mostraron no lo mostrarán de nuevo
send-delivered = entregado a { $delivered } de { $expected } sesiones
send-missing = ; faltan: { $sessions }
send-also-delivered = también entregado a sesiones que se conectaron entretanto: { $sessions }
send-read = leído por { $read } de { $delivered } entregados
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
stream-ready = stream { $stream } listo: subjects broadcast, session.*; retención { $retention }; réplicas { $replicas }; máximo { $bytes } bytes

## publisher admin
admin-kept = { $dir } ya contiene una configuración: se conserva tal cual
admin-creds-written = escrito { $file } (modo 0600): entréguelo solo a esa máquina, por un canal privado
