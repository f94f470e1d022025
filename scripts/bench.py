#!/usr/bin/env python3
"""`just bench`: the `inbox` server under load, on SQLite and PostgreSQL.

For each database: a fresh store, `inbox seed --demo --actions N`, then `inbox serve`, driven by
`wrk` (closed loop: 2 threads, 16 connections) for every request the issue measures, first with
every read computed (`INBOX_READ_CACHE_MS=0`: the database path), then as served by default (a
read repeated before anything changed comes from the read cache), and by `oha` at a fixed rate
(open loop). Prints one table and, with --out, writes it to a Markdown file with the machine, the
command and the date.
`--smoke` runs the same harness small and short, so that CI keeps it working; its numbers mean
nothing. It measures and reports: it never fails on a slow number.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "inbox_bench"
# Bulk approvals of 500 timed one after another.
BULK_SAMPLES = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env=None, quiet=False):
    result = subprocess.run(
        args, env=env, check=True, text=True, capture_output=True
    )
    if not quiet and result.stderr.strip():
        print(result.stderr.strip().splitlines()[-1], file=sys.stderr)
    return result.stdout


class Server:
    """`inbox serve` on a free port, ready once it answers `/healthz`; `settings` are more
    environment variables (scripts/fuzz.py uses this too)."""

    def __init__(self, binary, database_url, read_cache=True, settings=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, RUST_LOG="warn",
                   INBOX_BIND=f"127.0.0.1:{self.port}", INBOX_PROPOSE_PER_MINUTE="1000000")
        if not read_cache:
            env["INBOX_READ_CACHE_MS"] = "0"
        env.update(settings or {})
        self.process = subprocess.Popen([binary, "serve"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("inbox serve did not start")

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def request(base, token, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method="POST" if data else "GET",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as response:
        return json.loads(response.read())


def wrk(url, token, seconds, connections=16):
    """Requests per second, p50 and p99 in ms, and non-2xx answers, from wrk's report."""
    out = run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-H", f"Authorization: Bearer {token}", url], quiet=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    completed = int(re.search(r"(\d+) requests in", out).group(1))
    return rate, percentile(50), percentile(99), int(errors.group(1)) if errors else 0, completed


def open_loop(url, token, seconds, rate):
    """p50 and p99 in ms, and failed answers, of `rate` requests a second sent on schedule
    whether or not earlier ones were answered (oha, corrected for coordinated omission)."""
    out = run(["oha", "-z", f"{seconds}s", "-q", str(rate), "-c", "32", "--latency-correction",
               "--no-tui", "--output-format", "json", "-H", f"Authorization: Bearer {token}",
               url], quiet=True)
    report = json.loads(out)
    percentiles = report["latencyPercentiles"]
    codes = report.get("statusCodeDistribution", {})
    failed = sum(count for code, count in codes.items() if not code.startswith("2"))
    # Requests still in flight when the run's time is up are cut off, not failed.
    failed += sum(count for error, count in report.get("errorDistribution", {}).items()
                  if error != "aborted due to deadline")
    in_ms = [(percentiles[p] or float("nan")) * 1000 for p in ("p50", "p99")]
    return in_ms[0], in_ms[1], failed


def cell(name, measured, seconds, smoke):
    """A table cell for wrk's `measured`; errors under load (a pool that could not hand out a
    connection in time) are part of the result, but in a smoke run, where the load is tiny,
    they are a broken harness."""
    rate, p50, p99, errors, completed = measured
    text = (f"{rate:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            if completed else f"none answered within {seconds} s")
    if errors:
        if smoke:
            raise SystemExit(f"{name}: {errors} requests failed")
        text += f", {errors} errors"
    return text


def prepare(backend, binary, actions, reuse):
    """A seeded store (fresh unless `reuse`, where PostgreSQL keeps the last run's): its URL,
    and how long the seed took."""
    if backend == "postgres" and reuse:
        url = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    elif backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="inbox-bench-")
        url = f"sqlite://{directory}/bench.db?mode=rwc"
    else:
        for statement in (f"DROP DATABASE IF EXISTS {PG_BENCH_DB}", f"CREATE DATABASE {PG_BENCH_DB}"):
            run(["psql", PG_ADMIN, "-q", "-c", statement], quiet=True)
        url = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    started = time.monotonic()
    run([binary, "seed", "--demo", "--actions", str(actions)],
        env=dict(os.environ, DATABASE_URL=url, RUST_LOG="warn"), quiet=True)
    return url, time.monotonic() - started


def measure(backend, binary, actions, seconds, smoke, reuse=False):
    url, seed_seconds = prepare(backend, binary, actions, reuse)
    token = run([binary, "token", "create", "--location", "demo", "--scope", "actions:read",
                 "--scope", "actions:review"], env=dict(os.environ, DATABASE_URL=url),
                quiet=True).strip().splitlines()[-1]
    # Each read computed: what the database path costs. The server as configured by default
    # (below) answers a read repeated before anything changed from its read cache.
    server = Server(binary, url, read_cache=False)
    rows = [("seed", f"{actions:,} actions in {seed_seconds:.0f} s "
                     f"({actions / max(seed_seconds, 0.001):,.0f}/s)")]
    try:
        base = server.base + "/api/v1"
        first = request(server.base, token, "/api/v1/actions?limit=1")
        action_id = first["items"][0]["id"]
        customer = first["items"][0]["customer"]["full_name"].split()[0]
        # A cursor 10,000 rows deep into the Pending list (or as deep as it goes).
        cursor, depth = None, 0
        while depth < 10_000:
            page = request(server.base, token, "/api/v1/actions?limit=200" +
                           (f"&cursor={cursor}" if cursor else ""))
            depth += len(page["items"])
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        scenarios = [
            ("Pending list, first page", "/actions?limit=50"),
            (f"Pending list, {depth:,} rows deep", f"/actions?limit=50&cursor={cursor}"),
            ("Approved segment", "/actions?status=approved&limit=50"),
            ("worst filters (approved, high, email, ≥60, by confidence)",
             "/actions?status=approved&priority=high&channel=email&confidence_min=60&sort=-confidence&limit=50"),
            ("customer search", f"/actions?status=approved&q={customer}&limit=50"),
            ("GET /actions/{id}", f"/actions/{action_id}"),
            ("GET /metrics", "/metrics"),
            ("GET /insights?period=90", "/insights?period=90"),
        ]
        # Neither is kept by the read cache: their rows say so without "(each read computed)".
        uncached = ("/metrics", "/insights?period=90")
        for name, path in scenarios:
            measured = wrk(base + path, token, seconds)
            rows.append((f"{name} (each read computed)" if path not in uncached else name,
                         cell(name, measured, seconds, smoke)))
            if name == "Pending list, first page":
                computed_rate = measured[0]
        # The "page 10,000 rows deep ÷ first page (latency)": what the depth costs one
        # request, measured one request at a time. Under 16 connections the two latencies are
        # mostly time spent queued behind each other, which varies from run to run.
        alone = [wrk(base + path, token, seconds, connections=1)[1]
                 for path in ("/actions?limit=50", f"/actions?limit=50&cursor={cursor}")]
        rows.append((f"Pending list, {depth:,} rows deep ÷ first page, p50 one request at a "
                     "time (each read computed)",
                     f"{alone[1]:.2f} ms ÷ {alone[0]:.2f} ms = {alone[1] / alone[0]:.2f}"))
        # How long one reader waits for Insights (issue 13's "answers in under 50 ms"), with
        # nothing else in the queue.
        measured = wrk(base + "/insights?period=90", token, seconds, connections=1)
        rows.append(("GET /insights?period=90, one reader at a time",
                     cell("insights alone", measured, seconds, smoke)))
    finally:
        server.stop()
    if backend == "postgres":
        tps = pgbench(url, seconds)
    server = Server(binary, url)
    try:
        base = server.base + "/api/v1"
        served = [("Pending list, first page", "/actions?limit=50"),
                  ("GET /actions/{id}", f"/actions/{action_id}")]
        # The p99 targets for these, as the server answers them by default.
        served += [(name, path) for name, path in scenarios
                   if name.startswith(("Approved", "worst", "customer"))]
        for name, path in served:
            measured = wrk(base + path, token, seconds)
            rows.append((f"{name} (as served: read cache)", cell(name, measured, seconds, smoke)))
            if name == "Pending list, first page":
                served_rate = measured[0]
        rate = 100 if smoke else 2_000
        p50, p99, failed = open_loop(base + "/actions?limit=50", token, seconds, rate)
        if failed and smoke:
            raise SystemExit(f"open loop: {failed} requests failed")
        rows.append((f"Pending list, first page, open loop at {rate:,} req/s (as served)",
                     f"p50 {p50:.1f} ms, p99 {p99:.1f} ms" + (f", {failed} failed" if failed else "")))
        if backend == "postgres":
            pgbench_cell = (f"{tps:,.0f} tps; the API ÷ pgbench: {computed_rate / tps:.2f} "
                            f"computed, {served_rate / tps:.2f} as served")
        else:
            pgbench_cell = "(PostgreSQL only)"
        rows.append(("the first page's SQL in `pgbench -M prepared -c4`", pgbench_cell))
        rows.append(("SSE: one change reaches 200 open streams", fan_out(binary, server.base, url, 200)))
        rows.append(("server RSS after the reads", f"{server.rss_mb():.0f} MB"))
        try:
            rows.append(bulk_approvals(server.base, token, 1 if smoke else BULK_SAMPLES))
        except urllib.error.HTTPError as error:
            if smoke:
                raise
            # Requests the load generator gave up on still run; the server may still be busy.
            rows.append(("bulk approve of 500", f"HTTP {error.code} (still busy with the load)"))
        rows.append(("server RSS after the bulk approvals", f"{server.rss_mb():.0f} MB"))
    finally:
        server.stop()
    return rows


# The SQL of the Pending list's first page as the server sends it (one stored status whose
# timers have not fired, newest first, with each row's customer, agent and delivery state),
# for pgbench: what the database alone can do with the page.
PAGE_SQL = """\\set unused 1
SELECT a.id, a.headline, a.action_type, a.channel, a.confidence, a.priority, a.status, a.version,
       a.created_at, a.expires_at, a.snoozed_until, a.deferred_until, a.approved_awaiting_send,
       a.customer_id, a.agent_id, a.variables, c.full_name, c.company, c.customer_type, c.email,
       c.phone, c.plan, g.name,
       (SELECT d.state FROM deliveries d WHERE d.action_id = a.id AND d.state <> 'cancelled' LIMIT 1)
FROM actions a JOIN customers c ON c.id = a.customer_id JOIN agents g ON g.id = a.agent_id
WHERE a.location_id = (SELECT id FROM locations WHERE slug = 'demo') AND a.status = 'pending'
  AND a.next_timer_at > now()
ORDER BY a.created_at DESC, a.id DESC LIMIT 51;
"""


def bulk_approvals(base, token, samples):
    """A table row: `samples` bulk approvals, one after another, each of the first 500 pending
    actions (those the one before approved have left the segment); p50 and the slowest, and the
    first on its own, which also pays for pages no write touched since the last checkpoint."""
    elapsed, approved = [], []
    for _ in range(samples):
        ids, cursor = [], None
        while len(ids) < 500:
            page = request(base, token, "/api/v1/actions?limit=200" +
                           (f"&cursor={cursor}" if cursor else ""))
            ids += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        ids = ids[:500]
        started = time.monotonic()
        result = request(base, token, "/api/v1/actions/bulk", {"op": "approve", "ids": ids})
        elapsed.append((time.monotonic() - started) * 1000)
        approved.append(sum(1 for item in result["results"] if item["ok"]))
    name = f"bulk approve of {len(ids)}"
    if samples == 1:
        return name, f"{elapsed[0]:.0f} ms ({approved[0]} approved)"
    # Fewer each time: the location's contact cap holds back customers already written to.
    return name, (f"p50 {statistics.median(elapsed):.0f} ms, slowest {max(elapsed):.0f} ms, "
                  f"first {elapsed[0]:.0f} ms, of {samples} ({min(approved)}–{max(approved)} "
                  f"approved each)")


def pgbench(url, seconds):
    """Transactions per second of the first page's SQL in pgbench (prepared, 4 clients)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PAGE_SQL)
    try:
        out = run(["pgbench", "-n", "-M", "prepared", "-c4", "-j2", f"-T{seconds}",
                   "-f", script.name, url], quiet=True)
    finally:
        os.unlink(script.name)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def fan_out(binary, base, url, streams):
    """How long one proposal takes to reach `streams` open event streams, each its own
    connection: from the request until the last stream has it."""
    env = dict(os.environ, DATABASE_URL=url)
    token = run([binary, "token", "create", "--location", "demo", "--scope", "actions:read",
                 "--scope", "actions:propose"], env=env, quiet=True).strip().splitlines()[-1]
    sample = request(base, token, "/api/v1/actions?limit=1")["items"][0]
    ready = threading.Barrier(streams + 1)
    arrived = []
    lock = threading.Lock()

    def listen():
        req = urllib.request.Request(f"{base}/api/v1/events",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=60) as stream:
            waiting = True
            for line in stream:
                if waiting and line.startswith(b"event: metrics"):
                    waiting = False
                    ready.wait()
                elif line.startswith(b"event: action"):
                    with lock:
                        arrived.append(time.monotonic())
                    return

    threads = [threading.Thread(target=listen, daemon=True) for _ in range(streams)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    started = time.monotonic()
    request(base, token, "/api/v1/actions", {
        "customer_id": sample["customer"]["id"], "agent_id": sample["agent"]["id"],
        "action_type": "internal_note", "subject": "Fan-out probe", "body": "<p>A probe.</p>",
        "confidence": 50, "confidence_factors": [{"label": "Benchmark", "impact": 1}],
        "priority": "low", "trigger": {"summary": "The benchmark's probe.", "data": {}},
        "variables": {},
    })
    for thread in threads:
        thread.join(timeout=30)
    if len(arrived) < streams:
        return f"{len(arrived)} of {streams} streams heard it within 30 s"
    return f"the last of {streams} after {(max(arrived) - started) * 1000:.0f} ms"


def machine():
    cores = os.cpu_count()
    with open("/proc/meminfo") as meminfo:
        memory = int(meminfo.readline().split()[1]) / 1024 / 1024
    return f"{platform.machine()}, {cores} cores, {memory:.0f} GiB, {platform.platform()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/inbox")
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--out", help="write the report to this Markdown file")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: measure the store the last run seeded")
    parser.add_argument("--smoke", action="store_true",
                        help="10,000 actions, one second a request: the harness, not the numbers")
    args = parser.parse_args()
    if args.smoke:
        args.actions, args.seconds = 10_000, 1
    for tool in ("wrk", "oha"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (`just bench` installs it)")
    results = {backend: measure(backend, args.binary, args.actions, args.seconds, args.smoke,
                                args.reuse)
               for backend in args.backends.split(",")}
    backends = list(results)
    lines = ["| what | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
    for index, (name, _) in enumerate(results[backends[0]]):
        cells = [results[b][index][1] if index < len(results[b]) else "" for b in backends]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        command = " ".join(["python3", "scripts/bench.py"] + sys.argv[1:])
        report = (
            "# Benchmarks\n\n"
            f"- Date: {datetime.date.today().isoformat()}\n"
            f"- Machine: {machine()}\n"
            f"- Command: `{command}` (the release build; `wrk -t2 -c16` closed loop and "
            f"`oha -q` open loop, {args.seconds} s a request, load generator on the same "
            "machine)\n"
            f"- Store: {args.actions:,} actions in one location\n\n"
            f"{table}\n"
        )
        with open(args.out, "w") as out:
            out.write(report)
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
