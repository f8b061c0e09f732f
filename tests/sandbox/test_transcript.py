"""The transcript shows every kind of event the sandbox logs, as a Telegram client would."""

from __future__ import annotations

from bot.sandbox.core import Sandbox, SandboxUser
from bot.transcript import Transcript, to_html
from tests.helpers import nb
from tests.sandbox.conftest import ok


async def test_every_kind_of_event_reads_as_a_line(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    group = sb.create_group("Laine", owner=alice)
    keyboard = {"inline_keyboard": [[{"text": "Oui", "callback_data": "y"}]]}
    sent = await ok(
        sb,
        "sendMessage",
        chat_id=group.id,
        text="<b>Venez-vous\u202f?</b>\nRéponse attendue",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    press = sb.press(alice, group, "Oui")
    query = press["callback_query"]["id"]
    await ok(sb, "answerCallbackQuery", callback_query_id=query, text="C'est noté")
    await ok(
        sb,
        "editMessageText",
        chat_id=group.id,
        message_id=sent["message_id"],
        text="<b>Venez-vous\u202f?</b>\nRéponse attendue\n\nAlice vient",
        parse_mode="HTML",
    )
    await ok(sb, "pinChatMessage", chat_id=group.id, message_id=sent["message_id"])
    other = await ok(sb, "sendMessage", chat_id=group.id, text="Choix", reply_markup=keyboard)
    await ok(
        sb,
        "editMessageReplyMarkup",
        chat_id=group.id,
        message_id=other["message_id"],
        reply_markup={"inline_keyboard": [[{"text": "✅ Oui", "callback_data": "y"}]]},
    )
    await ok(sb, "deleteMessage", chat_id=group.id, message_id=other["message_id"])
    sb.join(bob, group)
    message = sb.send_text(bob, group, "bonjour")["message"]
    sb.edit_text(bob, group, message["message_id"], "bonjour à tous")
    sb.leave(bob, group)

    shown = Transcript(sb, echo=False)
    shown.capture()
    text = "\n".join(shown.plain(line) for line in shown.lines)
    for expected in (  # the bot's own text as sent; the transcript's words set in French
        "[Laine] Tisserand :\n    Venez-vous\u202f?\n    Réponse attendue\n    [Oui]",
        "[Laine] Alice appuie sur « Oui »",
        "[Laine] Tisserand répond : C'est noté",
        "[Laine] ✎ Tisserand complète son message :\n    Alice vient",
        "[Laine] Tisserand épingle « Venez-vous\u202f?",
        "[Laine] Tisserand met à jour les boutons :\n    [✅ Oui]",
        "[Laine] Tisserand supprime son message « Choix »",
        "[Laine] Bob entre dans le groupe",
        "[Laine] Bob modifie son message : bonjour à tous",
        "[Laine] Bob quitte le groupe",
    ):
        assert nb(expected) in text, expected
    assert (
        next(line for line in shown.lines if line.is_bot).html
        == "<b>Venez-vous\u202f?</b>\nRéponse attendue"
    )


def test_formatting_survives_emoji_and_a_suffix() -> None:
    text = "📍 Lieu\nVotre réponse : Oui"
    entities = [
        {"type": "bold", "offset": 0, "length": 7},  # the emoji counts two UTF-16 units
        {"type": "bold", "offset": 24, "length": 3},
    ]
    assert to_html(text, entities) == "<b>📍 Lieu</b>\nVotre réponse : <b>Oui</b>"
    assert to_html(text, entities, start=text.index("Votre")) == "Votre réponse : <b>Oui</b>"
    assert to_html("a < b", []) == "a &lt; b"


async def test_the_markdown_reads_as_typed_and_renders_no_html(
    sb: Sandbox, alice: SandboxUser
) -> None:
    group = sb.create_group("Laine", owner=alice)
    await ok(
        sb,
        "sendMessage",
        chat_id=group.id,
        text="Atelier Fil &amp; Trame · contrainte (. &gt;= a and . &lt;= b)",
        parse_mode="HTML",
    )
    sb.send_text(alice, group, "<script>alert(1)</script> &amp; <!-- x --> a | b")
    shown = Transcript(sb, echo=False)
    shown.capture()
    markdown = shown.markdown()
    # Readable in a plain editor: what is no HTML stays as typed.
    assert "> Atelier Fil & Trame · contrainte (. >= a and . <= b)" in markdown
    # What a Markdown viewer would take for HTML (a tag, a comment, an entity) is escaped,
    # and a pipe never opens a table column.
    assert "&lt;script>alert(1)&lt;/script> &amp;amp; &lt;!-- x --> a \\| b" in markdown
    assert "<script>" not in markdown
