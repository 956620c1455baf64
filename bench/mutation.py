"""Mutation testing of the safety-critical modules with mutmut 3, one focused test subset per module.

    python bench/mutation.py                      # every module, one after another
    python bench/mutation.py --module journal     # one module (repeatable)
    python bench/mutation.py --list               # the modules, their files and tests

Each module runs in its own scratch copy of the package and the tests under the system temp dir
(removed afterwards unless `--keep`); the work tree is only read. The score per module is
killed / mutants, where timeouts and crashes of the mutated code count as killed and mutants in
bench/mutation_allow.toml (equivalent ones, each with its reason) are left out and listed apart.
Every other mutant is listed as surviving: `survived` (tests passed), `no tests` (no selected test
reaches the function) or another mutmut status.

mutmut rather than cosmic-ray: mutmut switches mutants at run time through trampolines and forks
a warmed-up process per mutant, running only the tests that reached the mutated function, so a
module takes seconds to minutes; cosmic-ray rewrites the file and starts pytest (and PySide6) anew
for each of several times as many mutants, i.e. hours here.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "desktop" / "marginwatch"
ALLOW_FILE = Path(__file__).resolve().parent / "mutation_allow.toml"
MODULE_TIMEOUT_S = 75 * 60  # a module that runs longer than this has hung somewhere: stop it and say so


@dataclass(frozen=True)
class Target:
    """Files to mutate (relative to desktop/marginwatch), each with the functions to keep (None: all),
    and the test files (globs relative to the repo) that run against them."""

    files: dict[str, tuple[str, ...] | None]
    tests: tuple[str, ...]
    about: str


JOURNAL_WRITES = (
    "_plain",
    "_alert_symbols",
    "_num",
    "Journal._write",
    "Journal.record_margin_call",
    "Journal.record_margin_call_event",
    "Journal.record_alert",
    "Journal.mark_delivered",
    "Journal.record_connection",
    "Journal.record_snapshot",
)

MODULES: dict[str, Target] = {
    "alert_rules": Target(
        {"core/alert_rules.py": None},
        ("tests/core/test_alert_rules*.py",),
        "threshold and stream-down rules: levels, hysteresis, cooldown, escalation",
    ),
    "alert_engine": Target(
        {"services/alert_engine.py": None},
        ("tests/services/test_alert_engine*.py", "tests/services/test_adl_funding_alerts*.py"),
        "the engine that turns rules and margin calls into alerts, dedupe",
    ),
    "alert": Target(
        {"services/alert.py": None},
        ("tests/services/test_alert*.py", "tests/services/test_margin_call_alerts*.py"),
        "alert text, tiers and dedupe keys",
    ),
    "controller": Target(
        {"controller.py": ("AppController._deliver", "AppController._on_margin_call", "AppController._on_delivered")},
        ("tests/services/test_controller*.py",),
        "journal before notify, 'already journalled' return, delivery marks",
    ),
    "journal": Target(
        {"services/journal.py": JOURNAL_WRITES},
        ("tests/services/test_journal*.py",),
        "journal write paths",
    ),
    "events": Target(
        {
            "core/events.py": (
                "_parse_margin_type",
                "MarginCallPosition.__post_init__",
                "_as_bytes",
                "_peek",
                "_event_time",
                "_reply",
                "_unwrap",
                "_slow_private",
                "_decode_private",
                "decode_user_event",
                "decode_private_frame",
            )
        },
        ("tests/core/test_events*.py",),
        "MARGIN_CALL and user-data frame decoding",
    ),
    "ws_connection": Target(
        {"exchange/ws_connection.py": None},
        ("tests/exchange/test_ws_connection*.py",),
        "reconnect and backoff",
    ),
    "listen_key": Target(
        {"exchange/listen_key.py": None},
        ("tests/exchange/test_listen_key*.py",),
        "listenKey lifecycle: create, keepalive, retry, renew",
    ),
    "session": Target(
        {"exchange/session.py": None, "exchange/event_order.py": None},
        ("tests/exchange/test_session*.py", "tests/exchange/test_event_order*.py"),
        "session reseed and event dedupe/ordering",
    ),
    "secrets": Target(
        {
            "services/journal_scrub.py": None,
            "services/journal.py": ("Journal.add_redaction", "Journal._text", "Journal._raw", "Journal._json"),
            "exchange/credentials.py": ("mask_key", "Credentials.__repr__"),
            "exchange/signing.py": ("HmacSigner.__repr__", "Ed25519Signer.__repr__"),
            "exchange/listen_key.py": ("_key_hint",),
            "services/secret_store.py": ("_Hidden.__repr__",),
            "core/events.py": ("ListenKeyExpired.__repr__", "UnknownEvent.__repr__"),
            "core/rest_models.py": ("ListenKeyResponse.__repr__",),
        },
        (
            "tests/services/test_journal*.py",
            "tests/services/test_secret*.py",
            "tests/exchange/test_signing*.py",
            "tests/exchange/test_credentials*.py",
            "tests/exchange/test_listen_key*.py",
            "tests/core/test_events*.py",
            "tests/core/test_rest_models*.py",
        ),
        "secrets kept out of the journal, logs, reprs and exceptions",
    ),
}

# mutmut's exit codes per mutant (mutmut/stats.py); anything else is "suspicious".
STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "crashed",
    -9: "crashed",
    None: "not checked",
}
KILLED = {"killed", "timeout", "crashed"}


@dataclass
class Mutant:
    module: str
    file: str  # relative to desktop/marginwatch
    function: str  # Class.method or function
    line: int
    before: str
    after: str
    status: str
    allowed_because: str | None = None

    def mutation(self) -> str:
        return f"{self.before}  →  {self.after}"


@dataclass
class ModuleResult:
    name: str
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def counted(self) -> list[Mutant]:
        return [m for m in self.mutants if m.allowed_because is None]

    @property
    def killed(self) -> int:
        return sum(m.status in KILLED for m in self.counted)

    @property
    def survivors(self) -> list[Mutant]:
        return [m for m in self.counted if m.status not in KILLED]


# ----------------------------------------------------------------------------- mutant names


def _mangled(qualname: str) -> str:
    """mutmut's name of a function's trampoline: x_func, or xǁClassǁmethod."""
    cls, _, func = qualname.rpartition(".")
    return f"xǁ{cls}ǁ{func}" if cls else f"x_{func}"


def _qualname(mangled: str) -> str:
    if mangled.startswith("xǁ"):
        _, cls, func = mangled.split("ǁ", 2)
        return f"{cls}.{func}"
    return mangled.removeprefix("x_")


def _dotted(rel: str) -> str:
    return "marginwatch." + rel.removesuffix(".py").replace("/", ".")


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions by name and methods as Class.name."""
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out[f"{node.name}.{item.name}"] = item
    return out


def _segment_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return lines[node.lineno - 1 : node.end_lineno]


def describe_mutants(module: str, rel: str, original: str, mutated: str, codes: dict[str, int | None]) -> list[Mutant]:
    """Each mutant's line in the original file and its change, from the copies mutmut wrote."""
    orig_funcs = _functions(ast.parse(original))
    mut_tree = ast.parse(mutated)
    mut_lines = mutated.splitlines()
    copies: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(mut_tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            copies[node.name] = node
    out = []
    for key, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
        name = key.rpartition(".")[2]  # xǁClassǁmethod__mutmut_3
        base = name.rpartition("__mutmut_")[0]
        qual = _qualname(base)
        line, before, after = 0, "?", "?"
        orig_copy, mutant = copies.get(f"{base}__mutmut_orig"), copies.get(name)
        if orig_copy is not None and mutant is not None:
            a = _segment_lines(mut_lines, orig_copy)
            b = [s.replace(name, orig_copy.name) for s in _segment_lines(mut_lines, mutant)]
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
                if tag != "equal":
                    before = " ".join(s.strip() for s in a[i1:i2]) or "(nothing)"
                    after = " ".join(s.strip() for s in b[j1:j2]) or "(removed)"
                    def_node = orig_funcs.get(qual)
                    line = (def_node.lineno + i1) if def_node is not None else 0
                    break
        status = STATUS_BY_EXIT_CODE.get(code, "suspicious")
        out.append(Mutant(module, rel, qual, line, before, after, status))
    return out


def _natural(key: str) -> tuple[str, int]:
    base, _, n = key.rpartition("__mutmut_")
    return base, int(n) if n.isdigit() else -1


# ----------------------------------------------------------------------------- allow-list


@dataclass(frozen=True)
class Allowed:
    """One equivalent mutant (`before` and `after` as the report prints them), or with `case_only`
    every mutant of the function(s) that only changes letter case in a line matching `before_regex`."""

    file: str
    function: str  # Class.method or function; fnmatch patterns allowed
    reason: str
    before: str = ""
    after: str = ""
    case_only: bool = False
    before_regex: str = ""

    def matches(self, m: Mutant) -> bool:
        if m.file != self.file or not fnmatch.fnmatchcase(m.function, self.function):
            return False
        if self.case_only:
            return (
                m.before != m.after
                and m.before.lower() == m.after.lower()
                and (not self.before_regex or re.search(self.before_regex, m.before) is not None)
            )
        return (self.before, self.after) == (_norm(m.before), _norm(m.after))


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_allow_list(path: Path = ALLOW_FILE) -> list[Allowed]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text("utf-8"))
    out = []
    for i, entry in enumerate(data.get("allow", []), 1):
        needed = ["file", "function", "reason"] + ([] if entry.get("case_only") else ["before", "after"])
        missing = [k for k in needed if not str(entry.get(k, "")).strip()]
        if missing:
            raise SystemExit(f"{path.name}: entry {i} lacks {', '.join(missing)}")
        out.append(Allowed(
            file=entry["file"], function=entry["function"], reason=" ".join(entry["reason"].split()),
            before=_norm(entry.get("before", "")), after=_norm(entry.get("after", "")),
            case_only=bool(entry.get("case_only", False)), before_regex=entry.get("before_regex", ""),
        ))
    return out


def apply_allow_list(mutants: list[Mutant], allowed: list[Allowed]) -> set[Allowed]:
    """Mark allowed mutants (only those that did not get killed anyway); the entries that matched."""
    used: set[Allowed] = set()
    for m in mutants:
        for a in allowed:
            if a.matches(m):
                used.add(a)
                if m.status not in KILLED:
                    m.allowed_because = a.reason
    return used


# ----------------------------------------------------------------------------- running mutmut


def _mutmut_exe() -> str:
    beside = Path(sys.executable).with_name("mutmut")
    found = str(beside) if beside.exists() else shutil.which("mutmut")
    if not found:
        raise SystemExit("mutmut is not installed: pip install -e '.[bench]'")
    return found


def _test_files(patterns: tuple[str, ...]) -> list[str]:
    files = sorted({str(p.relative_to(REPO)) for pat in patterns for p in REPO.glob(pat) if p.is_file()})
    return files


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(work: Path, target: Target, tests: list[str]) -> None:
    """A scratch project: the package as src/marginwatch, the tests, pytest's settings and mutmut's."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE, work / "src" / "marginwatch", ignore=ignore)
    shutil.copytree(REPO / "tests", work / "tests", ignore=ignore)
    pytest_ini = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]["ini_options"]
    # pytest's settings as the suite has them (JSON strings, numbers and lists are TOML too), less the
    # test paths and report options mutmut chooses itself.
    ini = "".join(f"{k} = {json.dumps(v)}\n" for k, v in pytest_ini.items() if k not in ("testpaths", "addopts"))
    (work / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        + ini
        + "\n[tool.mutmut]\n"
        'source_paths = ["src/marginwatch"]\n'
        f"only_mutate = {_toml_list(['src/marginwatch/' + f for f in target.files])}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist"]\n'
        # The scratch copy is no git checkout. Mutants fork from a process that has collected the
        # tests but not run them: Qt and asyncio state left by a test run does not survive a fork.
        "use_git_change_detection = false\n"
        'process_isolation = "forkserver"\n',
        "utf-8",
    )
    # Created before Python starts: a PYTHONPATH entry that does not exist yet is cached as absent.
    (work / "mutants" / "src").mkdir(parents=True)


def run_module(name: str, target: Target, scratch: Path, jobs: int, allowed: list[Allowed],
               used: set[Allowed]) -> ModuleResult:
    result = ModuleResult(name)
    start = time.perf_counter()
    tests = _test_files(target.tests)
    if not tests:
        result.error = f"no test files match {', '.join(target.tests)}"
        return result
    for rel, funcs in target.files.items():
        missing = sorted(set(funcs or ()) - set(_functions(ast.parse((PACKAGE / rel).read_text("utf-8")))))
        if missing:
            result.error = f"{rel} has no {', '.join(missing)} (renamed?): update MODULES in {Path(__file__).name}"
            return result
    work = scratch / name
    prepare(work, target, tests)
    # Restricted files name their functions; once one is restricted, whole files must be named too.
    patterns = [f"{_dotted(rel)}.{_mangled(q)}__mutmut_*" for rel, funcs in target.files.items() for q in funcs or ()]
    if patterns:
        patterns += [f"{_dotted(rel)}.*" for rel, funcs in target.files.items() if funcs is None]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(work / "mutants" / "src")  # children the tests start import the mutants too
    env.pop("MUTANT_UNDER_TEST", None)
    log_path = work / "mutmut.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [_mutmut_exe(), "run", "--max-children", str(jobs), *patterns],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=MODULE_TIMEOUT_S)
        except BaseException:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            if not isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
                raise
            code = None
    result.seconds = time.perf_counter() - start
    if code != 0:
        tail = log_path.read_text("utf-8", "replace").replace("\r", "\n").splitlines()
        tail = [t for t in tail if t.strip() and "⠋" not in t and "Generating mutants" not in t][-15:]
        why = f"stopped after {MODULE_TIMEOUT_S} s" if code is None else f"mutmut exited with {code}"
        result.error = why + ":\n      " + "\n      ".join(tail)
        return result
    for rel, funcs in target.files.items():
        meta = work / "mutants" / "src" / "marginwatch" / f"{rel}.meta"
        codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"] if meta.exists() else {}
        if funcs is not None:
            wanted = {f"{_dotted(rel)}.{_mangled(q)}" for q in funcs}
            codes = {k: v for k, v in codes.items() if k.partition("__mutmut_")[0] in wanted}
        mutated = (work / "mutants" / "src" / "marginwatch" / rel).read_text("utf-8")
        result.mutants += describe_mutants(name, rel, (PACKAGE / rel).read_text("utf-8"), mutated, codes)
    used |= apply_allow_list(result.mutants, allowed)
    return result


# ----------------------------------------------------------------------------- report


def report(results: list[ModuleResult], allowed: list[Allowed], used: set[Allowed], wall: float) -> None:
    print("== score per module (killed / mutants; allowed equivalents left out)")
    for r in results:
        if r.error:
            print(f"{r.name:14} ERROR {r.error}")
            continue
        total = len(r.counted)
        pct = 100.0 * r.killed / total if total else 100.0
        n_allowed = len(r.mutants) - total
        print(f"{r.name:14} {r.killed:4} / {total:<4} {pct:5.1f} %   {len(r.survivors):3} surviving, "
              f"{n_allowed} allowed   ({r.seconds:.0f} s)")
    survivors = [m for r in results for m in r.survivors]
    print(f"\n== surviving mutants ({len(survivors)})")
    for m in survivors:
        print(f"{m.module:14} {m.file}:{m.line}  {m.function}  [{m.status}]\n      {m.mutation()}")
    allowed_mutants = [m for r in results for m in r.mutants if m.allowed_because is not None]
    print(f"\n== allowed equivalent mutants ({len(allowed_mutants)})")
    for m in allowed_mutants:
        print(f"{m.module:14} {m.file}:{m.line}  {m.function}\n      {m.mutation()}\n      because {m.allowed_because}")
    # Only entries for functions this run mutated can be stale.
    ran = {(m.file, m.function) for r in results if not r.error for m in r.mutants}
    stale = [
        a for a in allowed
        if a not in used and any(f == a.file and fnmatch.fnmatchcase(fn, a.function) for f, fn in ran)
    ]
    if stale:
        print(f"\n== allow-list entries that matched no mutant ({len(stale)}): the code changed; update or remove")
        for a in stale:
            what = f"case-only changes /{a.before_regex}/" if a.case_only else f"{a.before}  →  {a.after}"
            print(f"   {a.file}  {a.function}: {what}")
    print(f"\nwall time {wall:.1f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--module", action="append", choices=sorted(MODULES), help="run this module only (repeatable)")
    p.add_argument("--jobs", type=int, default=1, choices=(1, 2), help="mutants tested at once (default 1)")
    p.add_argument("--keep", action="store_true", help="keep the scratch dir (for `mutmut browse` there)")
    p.add_argument("--list", action="store_true", help="list the modules and exit")
    args = p.parse_args(argv)
    if args.list:
        for name, t in MODULES.items():
            files = ", ".join(rel + ("" if f is None else f" ({len(f)} functions)") for rel, f in t.files.items())
            print(f"{name:14} {t.about}\n{'':14} mutates {files}\n{'':14} tests {', '.join(t.tests)}")
        return 0
    allowed = load_allow_list()
    names = args.module or list(MODULES)
    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="marginwatch-mutation-"))
    results: list[ModuleResult] = []
    used: set[Allowed] = set()
    try:
        for name in names:
            print(f"mutation: {name} …", file=sys.stderr, flush=True)
            r = run_module(name, MODULES[name], scratch, args.jobs, allowed, used)
            results.append(r)
            done = "failed" if r.error else f"{r.killed} / {len(r.counted)} killed, {len(r.survivors)} surviving"
            print(f"mutation: {name} {done} ({r.seconds:.0f} s)", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"mutation: scratch kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    report(results, allowed, used, time.perf_counter() - start)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
