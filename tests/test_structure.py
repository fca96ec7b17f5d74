"""The shape of the code: which package may import which, and the repository standing alone.

Dependencies point one way (docs/architecture.md):
  storage, locales        import nothing of ours
  domain                  → storage, locales (the words a file or a table is written in)
  scheduled               → storage, domain, locales
  bot (the runtime)       → storage, scheduled, locales; never handlers or ops
  handlers                → bot's framework modules only, domain, storage, locales
  web (console, reports)  → bot (config, app keys, WeChat API client), scheduled, domain,
                          storage, locales; never handlers or ops
  ops (operator tools)    → everything; nothing imports ops
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "storage", "scheduled", "ops", "domain", "locales", "web")
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "locales": set(),
    # The office's files (exports, the ledger, invite slips, a roster's headers and role
    # words) are written in the reader's words, read from the catalogs.
    "domain": {"storage", "locales"},
    "scheduled": {"storage", "domain", "locales"},
    "bot": {"storage", "scheduled", "locales"},
    "handlers": {"bot", "domain", "storage", "locales"},
    "web": {"bot", "scheduled", "domain", "storage", "locales"},
    "ops": {"bot", "handlers", "storage", "scheduled", "domain", "locales", "web"},
}
# What a handler may use of the runtime: the framework, not the machinery.
HANDLER_BOT_MODULES = {"bot.routing", "bot.context", "bot.replies", "bot.dialogs"}
# `python -m bot` is the spec's other spelling of `workshop-bot`: a shim that runs ops.cli.
SHIMS = {ROOT / "bot" / "__main__.py"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, including those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            # `from bot import routing` names the module bot.routing.
            found += [(node.lineno, n if n.split(".")[0] in OURS and node.module in OURS
                       else node.module) for n in names]
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path in SHIMS or "migrations" in path.parts:
            continue
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top not in OURS or top == package:
                continue
            if top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
            elif package == "handlers" and top == "bot" and \
                    ".".join(module.split(".")[:2]) not in HANDLER_BOT_MODULES:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} "
                             "(handlers use only bot's routing, context, replies and dialogs)")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_alone(package: str) -> None:
    """As `python -c 'import handlers'` would: what the package pulls in at import time."""
    code = ("import sys, json; import " + package + "; print(json.dumps(sorted({m.split('.')[0]"
            " for m in sys.modules})))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    import json

    loaded = set(json.loads(proc.stdout)) & set(OURS)
    assert loaded - {package} <= ALLOWED[package], loaded
    if package == "handlers":
        # Handlers word answers; they never speak HTTP or WeChat's protocol themselves.
        assert not {"aiohttp", "wechatpy"} & set(json.loads(proc.stdout))


def test_nothing_imports_ops() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for package in OURS if package != "ops"
                 for path in (ROOT / package).rglob("*.py") if path not in SHIMS
                 for line, module in _imports(path) if module.split(".")[0] == "ops"]
    assert offenders == []


def test_the_repository_stands_alone() -> None:
    """No tracked file points outside the repository (a clone has nothing beside it)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=False).stdout.split()
    if not tracked:  # a copy without git (CI's bare copy): every file is ours
        tracked = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                   if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    outside = []
    for name in tracked:
        if not name.endswith((".py", ".md", ".toml", ".cfg", ".txt")) and name != ".ci/run":
            continue
        if name == "tests/test_structure.py":
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="ignore")
        if "../shared" in text or "shared/wechat-samples" in text:
            outside.append(name)
    assert outside == []


def test_every_declared_dialog_is_complete() -> None:
    """Each dialog: a step for every state, its entry commands exist, its fallbacks (取消,
    帮助) beat any of its states."""
    from bot.dialogs import ALL_DIALOGS
    from bot.routing import RouteTable
    from handlers import build_router

    routes = RouteTable(build_router())
    assert {spec.name for spec in ALL_DIALOGS} == {
        "onboarding", "weekly_logs", "mentorship", "notices", "topics", "topic_delete", "proposals",
        "decisions", "offer", "faq", "faq_more"}
    for spec in ALL_DIALOGS:
        spec.check_complete(routes)


_CJK = re.compile(r"[\u4e00-\u9fff]")
# A setting's default value is data, not words: the union's name until configured.
_DATA = {("bot/config.py", "总工会")}


def _cjk_literals(path: Path) -> list[str]:
    """Chinese string literals that are not docstrings nor command words."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        # Command words are routing identifiers: @router.command("周报", aliases=(...)).
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "command":
            skip.update(id(sub) for sub in ast.walk(node))
    rel = str(path.relative_to(ROOT))
    return [f"{rel}:{node.lineno} {node.value[:30]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and _CJK.search(node.value) and id(node) not in skip
            and (rel, node.value) not in _DATA]


@pytest.mark.parametrize("package", ["storage", "scheduled", "domain", "handlers", "bot"])
def test_no_words_outside_the_catalogs(package: str) -> None:
    """Codes in the code and the database; every word a person reads is in locales/."""
    found = [line for path in sorted((ROOT / package).rglob("*.py"))
             if "migrations" not in path.parts for line in _cjk_literals(path)]
    assert found == []
