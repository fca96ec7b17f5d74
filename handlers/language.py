"""语言: each member chooses the language they read; an admin sets the union's default."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import Reply
from bot.routing import Router, normalise
from locales import CHOICE_NAMES, CHOICES, choice_named, vocabulary, words_for
from storage.models import ROLE_ADMIN, ROLES
from storage.queries.members import set_member_language, set_union_language

router = Router("language")


@router.command("语言", aliases=("language", "lang"), takes_args=True, roles=ROLES,
                summary="cmd.language.summary", usage="cmd.language.usage")
async def on_language(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # bound users only (roles)
    args = ctx.args.strip()
    if not args:
        own = member.language
        current = (CHOICE_NAMES[own] if own in CHOICE_NAMES
                   else ctx.t("language.union_default", name=CHOICE_NAMES.get(
                       ctx.words.choice, CHOICE_NAMES["zh-CN"])))
        choices = "\n".join(ctx.t("language.choice_line", name=CHOICE_NAMES[c], code=c)
                            for c in CHOICES)
        return ctx.reply("language.current", current=current, choices=choices)
    first, _, rest = args.partition(" ")
    if normalise(first) in {normalise(w) for w in vocabulary("input.language.default")} \
            and rest.strip():
        return await _set_default(ctx, rest.strip())
    choice = choice_named(args, normalise)
    if choice is None:
        return ctx.reply("language.unknown", text=args[:20],
                         names=ctx.t("common.list_separator").join(CHOICE_NAMES.values()))
    await set_member_language(ctx.session, member.id, choice)
    # The confirmation is the first thing said in the new language.
    ctx.words = words_for(choice)
    return ctx.reply("language.set", name=CHOICE_NAMES[choice])


async def _set_default(ctx: Ctx, typed: str) -> Reply:
    assert ctx.member is not None
    if ctx.member.role != ROLE_ADMIN:
        return ctx.reply("language.default_admin_only")
    choice = choice_named(typed, normalise)
    if choice is None:
        return ctx.reply("language.unknown", text=typed[:20],
                         names=ctx.t("common.list_separator").join(CHOICE_NAMES.values()))
    if not await set_union_language(ctx.session, choice):
        return ctx.reply("language.no_union")
    return ctx.reply("language.default_set", name=CHOICE_NAMES[choice])
