# The agent's own words around a message, in English (the fallback: every key
# is here first; fl! checks keys and variables against this file).

## A notification's title when the message has none: who sent it, else to whom.
notification-title-from = Message from { $sender }
notification-title-everyone = Message for everyone
notification-title-you = Message for you

## The notification's button: the user has read it. And the label some
## notification servers show for a click on the notification itself.
action-ok = OK
action-mark-read = Mark as read

## The terminal block: its header (how pressing when high or urgent, to whom,
## when; $priority is the wire word) and footer (from whom, the id).
block-everyone = Message for everyone
block-session = Message for you (session { $session })
block-header = ==== { $priority ->
        [urgent] {"URGENT · "}
        [high] {"HIGH PRIORITY · "}
       *[other] {""}
    }{ $audience } · { $when } ====
block-footer = ---- from { $sender } · id { $id }
block-unknown-sender = unknown sender

## A reminder (shown again until read or answered), in the header before the rest.
block-reminder = REMINDER { $n }
## The answers a message offers, after its text, and how to give one.
block-answer-choice = » { $n }. { $label }
block-answer-how = » To answer: subscriber answer { $id } <label or number>
## A message its sender recalled, in place of the message.
block-recalled = ==== Message { $id } was recalled by its sender ====
