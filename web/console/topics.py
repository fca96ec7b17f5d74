"""Fixing a topic on the console: its name, status, kind and targets. The form (GET) leads
to a page listing the changes (POST), and its confirm button (POST) makes them, through
domain.topics — the functions the chat's 进展 uses — with an audit entry."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from domain import WrongState
from domain.audit import audited
from domain.topics import (
    MAX_TARGET,
    MAX_TITLE,
    rename_topic,
    set_kind,
    set_status,
    set_target,
)
from storage.models import TOPIC_KINDS, TOPIC_STATUSES, Topic
from storage.queries.audit import snapshot
from storage.queries.studio_pages import TopicRow, topic_in_scope
from web.console.registry import CONSOLE, Context, Req

FIELDS = ("title", "status", "kind", "monthly_target", "quarterly_target")

topic_edit = CONSOLE.action("/topics/{id}/edit", name="topic_edit",
                            template="console/topic_edit.html", section="studios")


async def _topic(req: Req) -> TopicRow:
    topic = await topic_in_scope(req.session, req.path_id(), req.viewer.scope)
    if topic is None:
        raise req.not_found()
    return topic


def _current(topic: TopicRow) -> dict[str, str]:
    return {"title": topic.title, "status": topic.status, "kind": topic.kind,
            "monthly_target": topic.monthly_target or "",
            "quarterly_target": topic.quarterly_target or ""}


def _wanted(req: Req, topic: TopicRow) -> dict[str, str]:
    now = _current(topic)
    return {name: " ".join(req.arg(name).split()) if name == "title" else req.arg(name)
            for name in FIELDS} if req.form else now


def _problem(wanted: dict[str, str]) -> str | None:
    if not wanted["title"]:
        return "title_empty"
    if len(wanted["title"]) > MAX_TITLE:
        return "title_too_long"
    if wanted["status"] not in TOPIC_STATUSES or wanted["kind"] not in TOPIC_KINDS:
        return "bad_value"
    if max(len(wanted["monthly_target"]), len(wanted["quarterly_target"])) > MAX_TARGET:
        return "target_too_long"
    return None


def _page(req: Req, topic: TopicRow, wanted: dict[str, str], **more: Any) -> Context:
    return {"topic": topic, "wanted": wanted, "statuses": TOPIC_STATUSES, "kinds": TOPIC_KINDS,
            "max_title": MAX_TITLE, "max_target": MAX_TARGET, "changes": [], "error": None,
            "confirming": False} | more


@topic_edit.confirm
async def edit_form(req: Req) -> Context:
    topic = await _topic(req)
    return _page(req, topic, _current(topic))


@topic_edit.perform
async def edit(req: Req) -> Context | web.StreamResponse:
    topic = await _topic(req)
    wanted = _wanted(req, topic)
    problem = _problem(wanted)
    if problem is not None:
        return _page(req, topic, wanted, error=problem, status=422)
    current = _current(topic)
    changes = [(name, current[name], wanted[name]) for name in FIELDS
               if wanted[name] != current[name]]
    if not changes:
        return _page(req, topic, wanted, error="unchanged", status=422)
    if req.arg("confirm") != "1":
        # What will change, for the viewer to confirm.
        return _page(req, topic, wanted, changes=changes, confirming=True)
    before = await snapshot(req.session, Topic, topic.id)
    studio = topic.studio_id
    try:
        if wanted["title"] != current["title"]:
            await rename_topic(req.session, topic.id, studio_id=studio, title=wanted["title"],
                               now=req.now)
    except WrongState:
        return _page(req, topic, wanted, error="title_taken", status=409)
    if wanted["kind"] != current["kind"]:
        await set_kind(req.session, topic.id, studio_id=studio, kind=wanted["kind"], now=req.now)
    for period in ("monthly", "quarterly"):
        if wanted[f"{period}_target"] != current[f"{period}_target"]:
            await set_target(req.session, topic.id, studio_id=studio, period=period,
                             text=wanted[f"{period}_target"], now=req.now)
    if wanted["status"] != current["status"]:
        # Kept in the topic's history as the chat's status changes are, in the viewer's words.
        await set_status(req.session, topic.id, studio_id=studio, author_id=req.viewer.member_id,
                         status=wanted["status"],
                         note=req.t("topics.status_changed",
                                    status=req.t(f"topic.status.{wanted['status']}")),
                         now=req.now)
    await audited(req.session, req.viewer, "topic.update", Topic, topic.id, subject="topic",
                  studio_id=studio, now=req.now, before=before)
    return req.redirect(req.url("studio", {"done": "topic"}, id=studio) + "#topics")
