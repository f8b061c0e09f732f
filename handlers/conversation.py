"""The conversation engine in Telegram: questions as messages with buttons, typed answers,
« Précédent », « Passer », « Valider », resuming, and what is not an answer."""

from __future__ import annotations

from bot.conversation import Action, Kind, Outcome, Question, SentFile
from bot.replies import FollowUp
from bot.services.errors import Refusal
from bot.textsafety import shorten
from handlers.common import Button as ButtonRow
from handlers.common import Ctx, Rows
from handlers.registry import Button, Feature, Int, Link, On, Word

# A suggestion longer than this is cut on its « Garder « … » » button (the value kept is whole).
SUGGESTION_SHOWN = 40


async def start(
    ctx: Ctx,
    flow: str,
    *,
    collective_id: int | None,
    subject_id: int | None = None,
    data: dict[str, object] | None = None,
    at_step: str | None = None,
    then: FollowUp | None = None,
) -> None:
    """Start (or pick up) a flow with the person; its question goes to their private chat."""
    outcome = await ctx.registry.engine.start(
        ctx.uow,
        ctx.me,
        ctx.now,
        ctx.person_lang,
        flow,
        collective_id=collective_id,
        subject_id=subject_id,
        data=data,
        at_step=at_step,
    )
    await show(ctx, outcome, pressed=False, then=then)


async def show(ctx: Ctx, outcome: Outcome, *, pressed: bool, then: FollowUp | None = None) -> None:
    """Turn what the engine decided into messages."""
    if outcome.refresh is not None:
        ctx.edit_markup(rows(ctx, outcome.refresh))
        return
    if pressed:
        if outcome.answered is not None and outcome.answered[1]:
            question, answer = outcome.answered
            ctx.edit_html(
                text(ctx, question)
                + "\n\n"
                + ctx.text(
                    "conversation/answered",
                    answer=answer,
                    skipped=outcome.skipped,
                    cleared=bool(question.suggestion),  # « Retirer ma réponse »
                )
            )
        else:
            ctx.edit_markup_off()
    if outcome.finished is not None:
        await ctx.registry.finish[outcome.finished.flow](ctx, outcome.finished)
    if outcome.question is not None:
        ask(ctx, outcome.question, then=then)
    elif outcome.resume is not None and await ctx.registry.engine.offered(
        ctx.uow, ctx.me, outcome.resume
    ):
        ctx.private(
            "conversation/resume_offer",
            [[(ctx.caption("resume"), ("q", outcome.resume.conversation_id, 0, Action.RESUME))]],
            title=outcome.resume.title,
        )


def ask(ctx: Ctx, question: Question, *, then: FollowUp | None = None) -> None:
    ctx.private_html(text(ctx, question), rows(ctx, question), then=then)


def text(ctx: Ctx, question: Question) -> str:
    body = ctx.text(question.prompt, **question.params)
    if question.progress is not None:
        done, total = question.progress
        body = ctx.text("conversation/progress", step=done, total=total) + "\n" + body
    return body


def rows(ctx: Ctx, q: Question) -> Rows:
    base = ("q", q.conversation_id, q.seq)
    result: Rows = []
    if q.kind in (Kind.CHOICE, Kind.YESNO):
        result += [[(o.label, (*base, Action.OPTION, o.value))] for o in q.options]
    elif q.kind == Kind.MULTI:
        result += [
            [(("✅ " if o.value in q.chosen else "") + o.label, (*base, Action.TOGGLE, o.value))]
            for o in q.options
        ]
        result.append([(ctx.caption("validate"), (*base, Action.VALIDATE))])
    elif q.suggestion:
        keep = (
            ctx.caption(q.keep_caption)
            if q.keep_caption
            else ctx.caption("keep", value=shorten(q.suggestion, SUGGESTION_SHOWN))
        )
        result.append([(keep, (*base, Action.KEEP))])
    nav: list[ButtonRow] = []
    if q.can_back:
        nav.append((ctx.caption("back"), (*base, Action.BACK)))
    if q.can_skip:
        # With an answer already given (« Garder … »), skipping removes it: say so.
        skip = q.skip_caption or ("skip_clear" if q.suggestion else "skip")
        nav.append((ctx.caption(skip), (*base, Action.SKIP)))
    result.append(nav)
    return result


async def on_button(
    ctx: Ctx, conversation_id: int, seq: int, action: str, value: str | None = None
) -> None:
    outcome = await ctx.registry.engine.on_button(
        ctx.uow, ctx.me, ctx.now, ctx.person_lang, conversation_id, seq, action, value
    )
    await show(ctx, outcome, pressed=True)


async def on_text(ctx: Ctx) -> None:
    """Text in private: a command typed with an accent or a typo, or an answer."""
    message = ctx.update.effective_message
    if message is None or message.text is None:
        return
    if message.text.startswith("/"):
        # Never an answer: a command Telegram did not mark (« /filière »), or a typo.
        from handlers.basics import unknown_command

        await unknown_command(ctx)
        return
    outcome = await ctx.registry.engine.on_text(
        ctx.uow, ctx.me, ctx.now, ctx.person_lang, message.text, sent_at=message.date
    )
    if outcome is None:
        ctx.say("no_question")
        return
    await show(ctx, outcome, pressed=False)


async def on_other(ctx: Ctx) -> None:
    """A sticker, a photo, a voice note, a location… in private: say what is expected."""
    current = await ctx.registry.engine.active(ctx.uow, ctx.me)
    if current is None:
        ctx.say("no_question")
        return
    message = ctx.update.effective_message
    document = message.document if message is not None else None
    if document is not None:
        # A question that takes a document (the minutes of a meeting) takes this one.
        sent = SentFile(document.file_id, document.file_name or "document")
        outcome = await ctx.registry.engine.on_file(ctx.uow, ctx.me, ctx.now, ctx.person_lang, sent)
        if outcome is not None:
            await show(ctx, outcome, pressed=False)
            return
    kind = await ctx.registry.engine.kind_of(ctx.uow, ctx.me, ctx.now, ctx.person_lang, current)
    raise Refusal("answer_in_text" if kind == Kind.TEXT else "use_buttons")


async def on_edited(ctx: Ctx) -> None:
    """An edited message is not an answer (nor a command): in private, say how to correct."""
    if ctx.is_private:
        ctx.say("conversation/edited")


async def resume_link(ctx: Ctx, rest: str) -> None:
    """`/start r`: bring back the question the person was answering."""
    current = await ctx.registry.engine.active(ctx.uow, ctx.me)
    if current is None:
        ctx.say("no_question")
        return
    outcome = await ctx.registry.engine.resume(
        ctx.uow, ctx.me, ctx.now, ctx.person_lang, current.id
    )
    await show(ctx, outcome, pressed=False)


ACTIONS = tuple(a.value for a in Action)

FEATURE = Feature(
    name="conversation",
    buttons=(Button("q", on_button, (Int(), Int(), Word(*ACTIONS), Word()), optional=1),),
    links=(Link("r", resume_link),),
    events=(
        On("private_text", on_text),
        On("private_other", on_other),
        On("edited", on_edited),
    ),
)
