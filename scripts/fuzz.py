#!/usr/bin/env python3
"""Spec fuzzing: schemathesis with every check against the OpenAPI document the real server
serves, authenticated, on a seeded SQLite database, stateful phase included.

`just test` runs a bounded pass (`--examples 20`); `just fuzz` a long one. Zero failures of any
check is the bar: the exit status is schemathesis's. The server runs in a network namespace of
its own when this runs as root (CI): the fuzzer registers webhook URLs, and the webhook worker
must never call out to them.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import Server, run

SCHEMATHESIS = "schemathesis==4.32.5"
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "fuzz-venv"
SCOPES = ["actions:propose", "actions:read", "actions:review", "agents:admin"]


def ensure_schemathesis() -> Path:
    st = VENV / "bin" / "st"
    if not st.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", SCHEMATHESIS], check=True
        )
    return st


def isolate() -> None:
    """Re-runs this script with no network but loopback, when it can (root, `unshare`)."""
    if os.environ.get("INBOX_FUZZ_ISOLATED"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    can_isolate = (
        os.geteuid() == 0
        and shutil.which("unshare")
        and shutil.which("ip")
        # A container may forbid new namespaces even to root.
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    )
    if can_isolate:
        env = dict(os.environ, INBOX_FUZZ_ISOLATED="1")
        os.execvpe("unshare", ["unshare", "-n", sys.executable, *sys.argv], env)
    print("fuzz: not isolated (needs root and unshare): webhook URLs the fuzzer registers may be called", file=sys.stderr)


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def config(base: str, token: str) -> str:
    """Real ids for the operations that take them (random ids only ever find nothing)."""
    statuses = "&".join(
        f"status={s}"
        for s in ["pending", "approved", "rejected", "snoozed", "deferred", "expired", "auto_executed"]
    )
    actions = get(f"{base}/api/v1/actions?limit=200&{statuses}", token)["items"]
    ids = {
        "actions": [a["id"] for a in actions],
        "pending": [a["id"] for a in actions if a["status"] == "pending"],
        "customers": sorted({a["customer"]["id"] for a in actions}),
        "agents": [a["id"] for a in get(f"{base}/api/v1/agents", token)],
    }
    lines = ["max-stream-events = 2", "request-timeout = 10", ""]
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    for selector, parameters in [
        ('include-path-regex = "^/api/v1/actions/\\\\{id\\\\}"', '"path.id" = { dictionary = "actions", probability = 0.8 }'),
        ('include-path = "/api/v1/customers/{id}"', '"path.id" = { dictionary = "customers", probability = 0.8 }'),
        ('include-path = "/api/v1/agents/{id}"', '"path.id" = { dictionary = "agents", probability = 0.8 }'),
        ('include-operation-id = "propose_action"', '"body.customer_id" = { dictionary = "customers", probability = 0.8 }, "body.agent_id" = { dictionary = "agents", probability = 0.8 }'),
        ('include-operation-id = "create_api_key"', '"body.agent_id" = { dictionary = "agents", probability = 0.8 }'),
        ('include-operation-id = "bulk_review"', '"body.ids[*]" = { dictionary = "pending", probability = 0.8 }'),
    ]:
        lines += ["[[operations]]", selector, f"parameters = {{ {parameters} }}", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20, help="examples per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=str(ROOT / "target" / "debug" / "inbox"))
    parser.add_argument("--report", default=str(ROOT / "target" / "fuzz-report"))
    args = parser.parse_args()
    st = ensure_schemathesis()
    isolate()
    work = Path(tempfile.mkdtemp(prefix="inbox-fuzz-"))
    database_url = f"sqlite://{work}/inbox.db?mode=rwc"
    env = dict(os.environ, DATABASE_URL=database_url, RUST_LOG="warn")
    run([args.binary, "seed", "--demo"], env=env, quiet=True)
    scopes = [flag for scope in SCOPES for flag in ("--scope", scope)]
    token = run(
        [args.binary, "token", "create", "--location", "demo", *scopes, "--name", "fuzz"],
        env=env,
        quiet=True,
    ).strip().splitlines()[-1]
    # Every read computed (a cached answer could hide what a change did), no rate limits.
    server = Server(args.binary, database_url, read_cache=False, settings={
        "INBOX_SPA_DIR": "/nonexistent",
        "INBOX_SIGN_IN_PER_MINUTE": "1000000",
        "INBOX_AUTH_CACHE_MS": "0",
    })
    base = server.base
    try:
        settings = work / "schemathesis.toml"
        settings.write_text(config(base, token))
        started = time.monotonic()
        fuzzing = subprocess.run(
            [
                str(st), "--config-file", str(settings), "run", f"{base}/api-docs/openapi.json",
                "--checks", "all",
                "-H", f"Authorization: Bearer {token}",
                "--max-examples", str(args.examples),
                "--seed", str(args.seed),
                # One worker: with two threads, Hypothesis's lambda descriptions can race in
                # CPython's `ast` ("AST constructor recursion depth mismatch"), a runtime error
                # of the fuzzer itself, not of the API.
                "--workers", "1",
                "--continue-on-failure",
                # Revoking keys would revoke the fuzzer's own; the event stream never ends. Both
                # are covered by tests/api (security.rs, events.rs).
                "--exclude-operation-id", "revoke_api_key",
                "--exclude-operation-id", "stream_events",
                "--report", "junit", "--report-dir", args.report,
                "--no-color",
                # The token is thrown away with the database: show requests whole.
                "--output-sanitize", "false",
            ],
            env=dict(os.environ, SCHEMATHESIS_HOOKS="fuzz_hooks", PYTHONPATH=str(ROOT / "scripts")),
            cwd=work,
        )
        print(f"fuzz: {args.examples} examples per operation in {time.monotonic() - started:.0f} s; report in {args.report}")
        return fuzzing.returncode
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
