# Las palabras propias del agente alrededor de un mensaje, en español.

## Título de una notificación cuando el mensaje no tiene: quién lo envía, o a quién.
notification-title-from = Mensaje de { $sender }
notification-title-everyone = Mensaje para todos
notification-title-you = Mensaje para usted

## El botón de la notificación (el usuario lo ha leído), y lo que algunos
## servidores muestran al hacer clic en la notificación.
action-ok = Aceptar
action-mark-read = Marcar como leído

## El bloque en la terminal: encabezado (la urgencia si es alta o urgente, para
## quién, cuándo; $priority es la palabra del protocolo) y pie (de quién, el id).
block-everyone = Mensaje para todos
block-session = Mensaje para usted (sesión { $session })
block-header = ==== { $priority ->
        [urgent] {"URGENTE · "}
        [high] {"PRIORIDAD ALTA · "}
       *[other] {""}
    }{ $audience } · { $when } ====
block-footer = ---- de { $sender } · id { $id }
block-unknown-sender = remitente desconocido

## Un recordatorio (se muestra de nuevo hasta que se lee o se responde).
block-reminder = RECORDATORIO { $n }
## Las respuestas que ofrece un mensaje, y cómo dar una.
block-answer-choice = » { $n }. { $label }
block-answer-how = » Para responder: subscriber answer { $id } <respuesta o número>
## Un mensaje que su remitente retiró.
block-recalled = ==== El remitente retiró el mensaje { $id } ====
