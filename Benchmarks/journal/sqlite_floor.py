#!/usr/bin/env python3
"""Reference for the journal writer: the same rows inserted by Python's sqlite3 module.

Reads a run exported with `desk export RUN --jsonl`, recreates the journal's tables (from the
source journal's schema, without its full-text indexes), and times inserting the run's rows the
plainest fast way SQLite offers from Python: one transaction per step, `executemany` per table,
prepared statements cached by the module. Prints microseconds per row, to compare with the
"writer µs of cpu a row" of `desk bench-journal` (which also hashes each step and checks
foreign keys). Only the standard library is used.
"""
import json
import sqlite3
import sys
import tempfile
import time
import os
from collections import defaultdict

# Export names of columns called `kind` in the journal (see docs/journal.md).
RENAMED = {"order": {"order_kind": "kind"}, "order_event": {"event_kind": "kind"},
           "cash_movement": {"movement_kind": "kind"}, "failure": {"failure_kind": "kind"}}
TABLES = {"step": "steps", "equity": "equity", "position": "positions", "order": "orders", "order_update": "order_updates",
          "order_event": "order_events", "fill": "fills", "cash_movement": "cash_movements", "decision": "decisions",
          "risk_event": "risk_events"}


def main(export_path, source_journal):
    per_step = defaultdict(lambda: defaultdict(list))
    columns = {}
    for line in open(export_path):
        row = json.loads(line)
        kind = row.pop("kind")
        if kind not in TABLES:
            continue
        for old, new in RENAMED.get(kind, {}).items():
            row[new] = row.pop(old)
        for key, value in row.items():
            if isinstance(value, (dict, list)):
                row[key] = json.dumps(value, separators=(",", ":"))
        step = row["idx"] if kind == "step" else row["step"]
        names = columns.setdefault(kind, list(row.keys()))
        per_step[step][kind].append(tuple(row[n] for n in names))

    schema = [sql for (sql,) in sqlite3.connect(source_journal).execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'grdb_%' ORDER BY type = 'index', rowid")]
    folder = tempfile.mkdtemp()
    db = sqlite3.connect(os.path.join(folder, "floor.sqlite"), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    for sql in schema:
        db.execute(sql)
    db.execute("INSERT INTO runs (id, scenario, scenario_file, scenario_digest, desk, seed, models, code_version, first_session, last_session, "
               "initial_cash, benchmark, options, status, started_at) VALUES (1, 's', 'f', 'd', 'k', '0', '{}', 'v', 'a', 'b', 1, 'x', '{}', 'running', 'now')")
    order = ["step", "equity", "position", "order", "order_update", "order_event", "fill", "cash_movement", "decision", "risk_event"]
    statements = {}
    for kind in order:
        if kind in columns:
            names = columns[kind]
            sql = f"INSERT INTO {TABLES[kind]} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            if kind == "order":
                sql += (" ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, filled_quantity = excluded.filled_quantity, "
                        "average_fill_price = excluded.average_fill_price, triggered = excluded.triggered, updated_step = excluded.updated_step")
            statements[kind] = sql
    rows = sum(len(r) for s in per_step.values() for r in s.values())
    start_cpu, start = time.process_time(), time.perf_counter()
    for step in sorted(per_step):
        db.execute("BEGIN IMMEDIATE")
        for kind in order:
            if kind in per_step[step]:
                db.executemany(statements[kind], per_step[step][kind])
        db.execute("COMMIT")
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    print(f"python sqlite3 executemany: {rows} rows in {len(per_step)} steps, cpu {cpu:.3f} s, wall {wall:.3f} s, "
          f"{cpu / rows * 1e6:.2f} µs of cpu a row (SQLite {sqlite3.sqlite_version})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
