"""One conversation engine: every question the bot asks in private is a declared step.

A `Flow` is an ordered list of `Step`s about a subject (a collective being set up, a
membership being filled in, later a survey or a vote). The engine keeps where each person is
in a `Conversation` row, so an answer is stored as soon as it is given and a conversation
resumes after a restart, the same day or a week later. On every answer and every button it
loads the subject again and re-checks the person's right (`Flow.guard`), so a right lost
half-way stops the conversation.

The engine knows nothing of Telegram: it returns `Outcome`s (the question to ask next, how the
answer reads, that the flow finished, a set-aside conversation to offer again) which the
handlers turn into messages and buttons.

Buttons carry the conversation id and its `seq`, bumped at every question: a button of an
earlier question, or of another person's conversation, is stale. A button of a conversation
that has ended says why, when its flow can tell (`Flow.ended`: « vos réponses sont déjà
envoyées », « cette enquête est close »).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain import ConversationEnd, ConversationStatus
from bot.services.errors import Refusal
from bot.texts import label
from storage.models import Conversation, EndedConversation, Person
from storage.uow import UnitOfWork


class Kind(StrEnum):
    TEXT = "text"  # a typed answer, with limits
    CHOICE = "choice"  # one button among several
    MULTI = "multi"  # several buttons toggled ✅, then « Valider »
    YESNO = "yesno"  # two buttons


class Action(StrEnum):
    """What a conversation button does (one letter in the callback data)."""

    OPTION = "o"
    TOGGLE = "t"
    VALIDATE = "v"
    KEEP = "k"
    BACK = "b"
    SKIP = "s"
    RESUME = "r"


@dataclass(frozen=True)
class SentFile:
    """A document sent as the answer to a question that accepts one (`Step.files`)."""

    file_id: str
    name: str


@dataclass(frozen=True)
class Option:
    value: str  # short: it travels in the callback data
    label: str  # plain text, as the person reads it on the button


@dataclass
class StepContext:
    """What a step sees: the unit of work, who answers, when, in which language, about what."""

    uow: UnitOfWork
    person: Person
    now: datetime
    lang: str
    conversation: Conversation
    subject: Any

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    def remember(self, **values: Any) -> None:
        """Keep values in the conversation until it ends (JSON: reassign, never mutate)."""
        self.conversation.data = {**self.conversation.data, **values}


Params = Callable[[StepContext], "dict[str, Any] | Awaitable[dict[str, Any]]"]
# How long the engine remembers how a conversation ended (`Flow.ended`).
ENDED_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    prompt: str  # template of the question, under content/messages/<lang>/
    # Store the answer: the parsed text, the option value, the list of values (MULTI), or the
    # suggestion (KEEP). Raise Refusal to refuse it (nothing is stored, the question stays).
    save: Callable[[StepContext, Any], Awaitable[None]]
    params: Params | None = None
    options: Callable[[StepContext], Sequence[Option]] | None = None
    # MULTI: what is chosen already, when the question is asked.
    chosen: Callable[[StepContext], Sequence[str]] | None = None
    # TEXT: turn the typed text into the value to save (Refusal when it is not acceptable).
    parse: Callable[[StepContext, str], Any] | None = None
    # TEXT: a value offered as a « Garder « … » » button.
    suggest: Callable[[StepContext], Awaitable[str | None]] | None = None
    # Shown only when this says so (conditions).
    applies: Callable[[StepContext], bool] | None = None
    optional: bool = False
    back: bool = True
    # Label macros for the « Garder … » and « Passer » buttons, when the usual ones do not fit.
    # A step's own skip button is a choice: its caption is echoed as the answer.
    keep_caption: str | None = None
    skip_caption: str | None = None
    # After the answer is saved: the name of the step to ask next instead of the following
    # one (None: the following one). Going back to an earlier step trims the history to it.
    goto: Callable[[StepContext], str | None] | None = None
    # TEXT: a document sent instead of text is the answer too (`save` gets a `SentFile`).
    files: bool = False
    # Counted in the progress line (« Question 3 sur 9 »); a closing summary is not.
    counted: bool = True
    # « Passer »: forget an answer given earlier to this question (after « Précédent »).
    cleared: Callable[[StepContext], Awaitable[None]] | None = None


@dataclass(frozen=True, kw_only=True)
class Flow:
    name: str
    # The steps, declared once; or, for a flow whose questions depend on its subject (a
    # survey's questions, a vote's options), `make_steps` builds them from the context.
    steps: tuple[Step, ...] = ()
    # The subject, freshly loaded (None: it is gone).
    load: Callable[[UnitOfWork, Conversation], Awaitable[Any]]
    # Re-checks the person's right to go on, at every answer: raise Refusal if lost.
    guard: Callable[[StepContext], Awaitable[None]]
    # What a finished conversation does in the domain (the collective becomes active…).
    complete: Callable[[StepContext], Awaitable[None]] | None = None
    # How the conversation is named when it is offered again (« la fiche du collectif X »).
    title: Callable[[StepContext], str] = lambda ctx: ""
    progress: bool = False
    make_steps: Callable[[StepContext], Sequence[Step]] | None = None
    # Why a button of one of its conversations, once ended, does nothing: the refusal to
    # show (« Vos réponses sont déjà envoyées »). Given, the engine remembers how its
    # conversations end (ENDED_KEPT); else such a button is merely stale.
    ended: (
        Callable[[UnitOfWork, Person, EndedConversation, datetime, str], Awaitable[Refusal]] | None
    ) = None

    def steps_for(self, ctx: StepContext) -> Sequence[Step]:
        return self.make_steps(ctx) if self.make_steps is not None else self.steps

    def step(self, ctx: StepContext, name: str) -> Step:
        for step in self.steps_for(ctx):
            if step.name == name:
                return step
        raise Refusal("stale_button")


@dataclass(frozen=True)
class Question:
    conversation_id: int
    seq: int
    step: str
    kind: Kind
    prompt: str
    params: dict[str, Any]
    options: list[Option] = field(default_factory=list)
    chosen: frozenset[str] = frozenset()
    suggestion: str | None = None
    can_back: bool = False
    can_skip: bool = False
    progress: tuple[int, int] | None = None
    keep_caption: str | None = None
    skip_caption: str | None = None


@dataclass(frozen=True)
class Finished:
    flow: str
    collective_id: int | None
    subject_id: int | None
    data: dict[str, Any]
    subject: Any


@dataclass(frozen=True)
class ResumeOffer:
    conversation_id: int
    title: str


@dataclass
class Outcome:
    # The question just answered, and how the answer reads (to show under it).
    answered: tuple[Question, str] | None = None
    # The next question to ask.
    question: Question | None = None
    # The same question with its ✅ changed (a MULTI toggle).
    refresh: Question | None = None
    finished: Finished | None = None
    resume: ResumeOffer | None = None
    # The question was passed with the generic « Passer »: said as such, not as an answer.
    skipped: bool = False


YES, NO = "1", "0"


# Telegram's apps cut a text over 4,096 characters into several messages sent at once: after
# a long typed answer was refused, a text from the same person within these seconds is its
# continuation, never an answer of its own.
SPLIT_WINDOW = 3.0
SPLIT_FROM = 1000  # characters: a refused text shorter than this was not cut by Telegram
# In a set-aside conversation's data: its « Reprendre » was offered (not again until set aside
# anew).
OFFERED = "_offered"


class Engine:
    """Runs the declared flows for everyone; their state is in the `conversations` table.
    The engine itself only remembers, for a few seconds, who just had a long text refused."""

    def __init__(self, flows: Sequence[Flow] = ()) -> None:
        self.flows: dict[str, Flow] = {}
        for flow in flows:
            self.add(flow)
        self._long_refused: dict[int, float] = {}  # person id -> when their long text came

    def add(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name!r} declared twice")
        self.flows[flow.name] = flow

    # --- starting and resuming

    async def start(
        self,
        uow: UnitOfWork,
        person: Person,
        now: datetime,
        lang: str,
        flow_name: str,
        *,
        collective_id: int | None,
        subject_id: int | None = None,
        data: dict[str, Any] | None = None,
        at_step: str | None = None,
    ) -> Outcome:
        """Start a flow, or pick it up where it stopped. `at_step`: ask that one question only
        (editing one answer); it starts afresh. Whatever else the person was answering is set
        aside, to be offered again when this one ends."""
        flow = self.flows[flow_name]
        conversation = await uow.conversations.find(person.id, flow_name, collective_id, subject_id)
        if conversation is not None and at_step is not None:
            await uow.conversations.delete(conversation)
            conversation = None
        await self._park_others(uow, person, keep=conversation)
        if conversation is None:
            conversation = Conversation(
                person_id=person.id,
                flow=flow_name,
                collective_id=collective_id,
                subject_id=subject_id,
                step=at_step or "",
                seq=0,
                status=ConversationStatus.ACTIVE,
                data={**(data or {}), "_single": at_step is not None, "_history": []},
                updated_at=now,
            )
            # Written with its first question (see _question): one INSERT, no UPDATE after.
            uow.conversations.add(conversation)
        conversation.status = ConversationStatus.ACTIVE
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        if not conversation.step:
            first = flow.steps_for(ctx)[0]
            conversation.step = first.name
        step = flow.step(ctx, conversation.step)
        if not _applies(step, ctx):
            following = self._next(ctx, flow, step)
            if following is None:
                return await self._finish(ctx, flow, None)
            step = following
        return Outcome(question=await self._ask(ctx, flow, step))

    async def resume(
        self, uow: UnitOfWork, person: Person, now: datetime, lang: str, conversation_id: int
    ) -> Outcome:
        """Bring a set-aside (or the current) conversation back in front of the person."""
        conversation = await uow.conversations.get(conversation_id)
        if conversation is None or conversation.person_id != person.id:
            raise Refusal("conversation_gone")
        flow = self._flow(conversation)
        await self._park_others(uow, person, keep=conversation)
        conversation.status = ConversationStatus.ACTIVE
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        return Outcome(question=await self._ask(ctx, flow, flow.step(ctx, conversation.step)))

    async def active(self, uow: UnitOfWork, person: Person) -> Conversation | None:
        return await uow.conversations.active(person.id)

    async def kind_of(
        self, uow: UnitOfWork, person: Person, now: datetime, lang: str, conversation: Conversation
    ) -> Kind:
        """The kind of answer the question in front of the person expects."""
        flow = self._flow(conversation)
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        return flow.step(ctx, conversation.step).kind

    # --- answers

    async def on_text(
        self,
        uow: UnitOfWork,
        person: Person,
        now: datetime,
        lang: str,
        text: str,
        *,
        sent_at: datetime | None = None,
    ) -> Outcome | None:
        """A typed answer to the question in front of the person; None when there is none.
        `sent_at`, when the message was sent, tells the rest of a long text cut by Telegram."""
        conversation = await uow.conversations.active(person.id)
        if conversation is None:
            return None
        flow = self._flow(conversation)
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        step = flow.step(ctx, conversation.step)
        if step.kind != Kind.TEXT:
            raise Refusal("use_buttons")
        moment = sent_at.timestamp() if sent_at is not None else None
        if moment is not None and self._continues_long_text(person.id, moment):
            self._long_refused[person.id] = moment
            raise Refusal("long_text_rest")
        try:
            value = step.parse(ctx, text) if step.parse is not None else text
            await step.save(ctx, value)
        except Refusal:
            if moment is not None and len(text) >= SPLIT_FROM:
                self._long_refused[person.id] = moment
            raise
        return await self._advance(ctx, flow, step, None)

    def _continues_long_text(self, person_id: int, moment: float) -> bool:
        for someone, at in list(self._long_refused.items()):
            if moment - at > SPLIT_WINDOW:
                del self._long_refused[someone]  # forgotten after a few seconds
        refused = self._long_refused.get(person_id)
        return refused is not None and moment - refused <= SPLIT_WINDOW

    async def on_file(
        self, uow: UnitOfWork, person: Person, now: datetime, lang: str, sent: SentFile
    ) -> Outcome | None:
        """A document sent to the question in front of the person; None when that question
        does not take one (or there is none)."""
        conversation = await uow.conversations.active(person.id)
        if conversation is None:
            return None
        flow = self._flow(conversation)
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        step = flow.step(ctx, conversation.step)
        if step.kind != Kind.TEXT or not step.files:
            return None
        await step.save(ctx, sent)
        return await self._advance(ctx, flow, step, None)

    async def on_button(
        self,
        uow: UnitOfWork,
        person: Person,
        now: datetime,
        lang: str,
        conversation_id: int,
        seq: int,
        action: str,
        value: str | None,
    ) -> Outcome:
        conversation = await uow.conversations.get(conversation_id)
        if conversation is None or conversation.person_id != person.id:
            raise await self._why_gone(uow, person, now, lang, conversation_id)
        if action == Action.RESUME:
            return await self.resume(uow, person, now, lang, conversation_id)
        if conversation.status != ConversationStatus.ACTIVE or conversation.seq != seq:
            raise Refusal("stale_button")
        flow = self._flow(conversation)
        ctx = await self._context(uow, person, now, lang, conversation, flow)
        step = flow.step(ctx, conversation.step)
        asked = await self._question(ctx, flow, step)
        if action == Action.OPTION and step.kind in (Kind.CHOICE, Kind.YESNO):
            option = _option(asked, value)
            await step.save(ctx, option.value)
            return await self._advance(ctx, flow, step, (asked, option.label))
        if action == Action.TOGGLE and step.kind == Kind.MULTI:
            option = _option(asked, value)
            chosen = set(asked.chosen) ^ {option.value}
            ctx.remember(_chosen=[o.value for o in asked.options if o.value in chosen])
            return Outcome(refresh=await self._question(ctx, flow, step))
        if action == Action.VALIDATE and step.kind == Kind.MULTI:
            values = [o.value for o in asked.options if o.value in asked.chosen]
            await step.save(ctx, values)
            labels = [o.label for o in asked.options if o.value in asked.chosen]
            shown = ", ".join(labels) if labels else label("none_chosen", lang)
            return await self._advance(ctx, flow, step, (asked, shown))
        if action == Action.KEEP and asked.suggestion is not None:
            await step.save(ctx, asked.suggestion)
            return await self._advance(ctx, flow, step, (asked, asked.suggestion))
        if action == Action.SKIP and asked.can_skip:
            if step.cleared is not None:
                await step.cleared(ctx)
            if step.skip_caption is not None:
                # A button of its own (« C'est tout », « Pas de quorum »): a choice, echoed.
                return await self._advance(ctx, flow, step, (asked, label(step.skip_caption, lang)))
            outcome = await self._advance(ctx, flow, step, (asked, label("skipped", lang)))
            outcome.skipped = True
            return outcome
        if action == Action.BACK and asked.can_back:
            history = list(ctx.data.get("_history", []))
            previous = flow.step(ctx, history.pop())
            ctx.remember(_history=history)
            conversation.step = previous.name
            return Outcome(answered=(asked, ""), question=await self._ask(ctx, flow, previous))
        raise Refusal("stale_button")

    # --- inside

    async def _why_gone(
        self, uow: UnitOfWork, person: Person, now: datetime, lang: str, conversation_id: int
    ) -> Refusal:
        """The refusal for a button of a conversation that is not there (any more)."""
        ended = await uow.conversations.ended(conversation_id, person.id)
        flow = self.flows.get(ended.flow) if ended is not None else None
        if ended is None or flow is None or flow.ended is None:
            return Refusal("stale_button")
        return await flow.ended(uow, person, ended, now, lang)

    def _flow(self, conversation: Conversation) -> Flow:
        flow = self.flows.get(conversation.flow)
        if flow is None:
            raise Refusal("conversation_gone")
        return flow

    async def _park_others(
        self, uow: UnitOfWork, person: Person, *, keep: Conversation | None
    ) -> None:
        current = await uow.conversations.active(person.id)
        if current is not None and current is not keep:
            current.status = ConversationStatus.PARKED
            if current.data.get(OFFERED):  # set aside anew: offered again, once
                current.data = {k: v for k, v in current.data.items() if k != OFFERED}

    async def _context(
        self,
        uow: UnitOfWork,
        person: Person,
        now: datetime,
        lang: str,
        conversation: Conversation,
        flow: Flow,
    ) -> StepContext:
        subject = await flow.load(uow, conversation)
        if subject is None:
            # What it was about is gone: forget the conversation, and say so once.
            await uow.conversations.delete(conversation)
            raise Refusal("conversation_gone", keep=True)
        ctx = StepContext(uow, person, now, lang, conversation, subject)
        await flow.guard(ctx)
        return ctx

    def _next(self, ctx: StepContext, flow: Flow, step: Step) -> Step | None:
        if ctx.data.get("_single"):
            return None
        target = step.goto(ctx) if step.goto is not None else None
        if target is not None:
            return flow.step(ctx, target)
        steps = flow.steps_for(ctx)
        names = [s.name for s in steps]
        for following in steps[names.index(step.name) + 1 :]:
            if _applies(following, ctx):
                return following
        return None

    async def _advance(
        self, ctx: StepContext, flow: Flow, step: Step, answered: tuple[Question, str] | None
    ) -> Outcome:
        following = self._next(ctx, flow, step)
        if following is None:
            return await self._finish(ctx, flow, answered)
        history = [*ctx.data.get("_history", []), step.name]
        if following.name in history:
            # Back to an earlier question (`goto`): as it was when first asked.
            history = history[: history.index(following.name)]
        ctx.remember(_history=history)
        return Outcome(answered=answered, question=await self._ask(ctx, flow, following))

    async def _ask(self, ctx: StepContext, flow: Flow, step: Step) -> Question:
        """Make `step` the question in front of the person: a new seq stales older buttons."""
        conversation = ctx.conversation
        conversation.step = step.name
        conversation.seq += 1
        conversation.updated_at = ctx.now
        if step.kind == Kind.MULTI:
            chosen = list(step.chosen(ctx)) if step.chosen is not None else []
            ctx.remember(_chosen=chosen)
        return await self._question(ctx, flow, step)

    async def _question(self, ctx: StepContext, flow: Flow, step: Step) -> Question:
        if ctx.conversation.id is None:
            await ctx.uow.conversations.flush()  # its id goes in the buttons
        options = list(step.options(ctx)) if step.options is not None else []
        if step.kind == Kind.YESNO and not options:
            options = [Option(YES, label("yes", ctx.lang)), Option(NO, label("no", ctx.lang))]
        params: dict[str, Any] = {}
        if step.params is not None:
            produced = step.params(ctx)
            params = await produced if inspect.isawaitable(produced) else produced
        progress = None
        if flow.progress and step.counted and not ctx.data.get("_single"):
            shown = [s for s in flow.steps_for(ctx) if s.counted and _applies(s, ctx)]
            names = [s.name for s in shown]
            progress = (names.index(step.name) + 1 if step.name in names else 1, len(shown))
        return Question(
            conversation_id=ctx.conversation.id,
            seq=ctx.conversation.seq,
            step=step.name,
            kind=step.kind,
            prompt=step.prompt,
            params=params,
            options=options,
            chosen=frozenset(ctx.data.get("_chosen", []))
            if step.kind == Kind.MULTI
            else frozenset(),
            suggestion=await step.suggest(ctx) if step.suggest is not None else None,
            can_back=step.back and bool(ctx.data.get("_history")) and not ctx.data.get("_single"),
            can_skip=step.optional,
            progress=progress,
            keep_caption=step.keep_caption,
            skip_caption=step.skip_caption,
        )

    async def _finish(
        self, ctx: StepContext, flow: Flow, answered: tuple[Question, str] | None
    ) -> Outcome:
        if flow.complete is not None:
            await flow.complete(ctx)
        conversation = ctx.conversation
        finished = Finished(
            flow.name,
            conversation.collective_id,
            conversation.subject_id,
            {k: v for k, v in conversation.data.items() if not k.startswith("_")}
            | {"single": bool(conversation.data.get("_single"))},
            ctx.subject,
        )
        if flow.ended is not None and conversation.id is not None:
            ctx.uow.conversations.remember_end(conversation, ConversationEnd.DONE, ctx.now)
        await ctx.uow.conversations.delete(conversation)
        return Outcome(answered=answered, finished=finished, resume=await self._offer(ctx))

    async def _offer(self, ctx: StepContext) -> ResumeOffer | None:
        """The most recent set-aside conversation that can still go on, if any, offered once:
        not again after every other conversation (its own command still resumes it)."""
        for parked in await ctx.uow.conversations.parked(ctx.person.id):
            flow = self.flows.get(parked.flow)
            if flow is None or parked.data.get(OFFERED):
                continue
            try:
                other = await self._context(ctx.uow, ctx.person, ctx.now, ctx.lang, parked, flow)
            except Refusal:
                continue
            return ResumeOffer(parked.id, flow.title(other))
        return None

    async def offered(self, uow: UnitOfWork, person: Person, offer: ResumeOffer) -> bool:
        """Whether to show the offer to resume, now that the finished flow's follow-up ran:
        not when that follow-up put a new question in front of the person (its own end will
        offer). Shown, it is remembered, and not offered again until set aside anew."""
        if await uow.conversations.active(person.id) is not None:
            return False
        parked = await uow.conversations.get(offer.conversation_id)
        if parked is None or parked.person_id != person.id:
            return False
        parked.data = {**parked.data, OFFERED: True}
        return True


def _applies(step: Step, ctx: StepContext) -> bool:
    return step.applies is None or step.applies(ctx)


def _option(question: Question, value: str | None) -> Option:
    for option in question.options:
        if option.value == value:
            return option
    raise Refusal("stale_button")
