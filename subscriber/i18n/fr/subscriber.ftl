# Les mots de l'agent autour d'un message, en français.

## Titre d'une notification quand le message n'en a pas : qui l'envoie, sinon à qui.
notification-title-from = Message de { $sender }
notification-title-everyone = Message pour tout le monde
notification-title-you = Message pour vous

## Le bouton de la notification (l'utilisateur l'a lu), et ce que certains
## serveurs affichent pour un clic sur la notification elle-même.
action-ok = OK
action-mark-read = Marquer comme lu

## Le bloc dans le terminal : en-tête (l'urgence si haute ou urgente, pour qui,
## quand ; $priority est le mot du protocole) et pied (de qui, l'id).
block-everyone = Message pour tout le monde
block-session = Message pour vous (session { $session })
block-header = ==== { $priority ->
        [urgent] {"URGENT · "}
        [high] {"HAUTE PRIORITÉ · "}
       *[other] {""}
    }{ $audience } · { $when } ====
block-footer = ---- de { $sender } · id { $id }
block-unknown-sender = expéditeur inconnu

## Un rappel (montré de nouveau tant qu'il n'est ni lu ni répondu).
block-reminder = RAPPEL { $n }
## Les réponses qu'offre un message, et comment en donner une.
block-answer-choice = » { $n }. { $label }
block-answer-how = » Pour répondre : subscriber answer { $id } <réponse ou numéro>
## Un message que son expéditeur a retiré.
block-recalled = ==== Message { $id } retiré par son expéditeur ====
