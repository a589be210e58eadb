import GRDB

/// The journal's schema, as an ordered list of migrations. Never edit a released migration;
/// add a new one. `docs/journal.md` documents every table.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, steps, book, orders, fills, agents' records") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    scenario TEXT NOT NULL,
                    scenario_file TEXT NOT NULL,
                    scenario_digest TEXT NOT NULL,
                    desk TEXT NOT NULL,
                    seed TEXT NOT NULL,
                    models TEXT NOT NULL,
                    code_version TEXT NOT NULL,
                    first_session TEXT NOT NULL,
                    last_session TEXT NOT NULL,
                    initial_cash REAL NOT NULL,
                    benchmark TEXT NOT NULL,
                    options TEXT NOT NULL,
                    baseline_of INTEGER REFERENCES runs(id) ON DELETE CASCADE,
                    status TEXT NOT NULL CHECK (status IN ('running','completed','failed','stopped')),
                    reason TEXT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    final_equity REAL,
                    total_return REAL,
                    max_drawdown REAL,
                    sessions INTEGER,
                    fills INTEGER,
                    model_calls INTEGER,
                    failures INTEGER
                );
                CREATE TABLE steps (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    is_decision INTEGER NOT NULL,
                    snapshot_digest TEXT,
                    committed_at TEXT NOT NULL,
                    PRIMARY KEY (run_id, idx)
                ) WITHOUT ROWID;
                CREATE TABLE equity (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    day TEXT NOT NULL,
                    cash REAL NOT NULL,
                    positions_value REAL NOT NULL,
                    equity REAL NOT NULL,
                    gross_exposure REAL NOT NULL,
                    PRIMARY KEY (run_id, day)
                ) WITHOUT ROWID;
                CREATE TABLE positions (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    day TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    quantity REAL NOT NULL,
                    average_cost REAL NOT NULL,
                    last_price REAL NOT NULL,
                    market_value REAL NOT NULL,
                    realized_pnl REAL NOT NULL,
                    unrealized_pnl REAL NOT NULL,
                    PRIMARY KEY (run_id, day, symbol)
                ) WITHOUT ROWID;
                CREATE TABLE orders (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    id INTEGER NOT NULL,
                    submitted_on TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL,
                    quantity REAL NOT NULL,
                    kind TEXT NOT NULL,
                    limit_price REAL,
                    stop_price REAL,
                    time_in_force TEXT NOT NULL,
                    tag TEXT,
                    status TEXT NOT NULL,
                    filled_quantity REAL NOT NULL,
                    average_fill_price REAL NOT NULL,
                    PRIMARY KEY (run_id, id)
                ) WITHOUT ROWID;
                CREATE TABLE order_events (
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    order_id INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    quantity REAL,
                    price REAL,
                    reason TEXT,
                    PRIMARY KEY (run_id, step, seq),
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE fills (
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    order_id INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL,
                    quantity REAL NOT NULL,
                    price REAL NOT NULL,
                    reference_price REAL NOT NULL,
                    commission REAL NOT NULL,
                    slippage_cost REAL NOT NULL,
                    PRIMARY KEY (run_id, step, seq),
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE cash_movements (
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    day TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    amount REAL NOT NULL,
                    symbol TEXT,
                    order_id INTEGER,
                    PRIMARY KEY (run_id, step, seq),
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE model_calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    model_name TEXT NOT NULL,
                    model_digest TEXT NOT NULL,
                    cache_key TEXT NOT NULL,
                    cache_hit INTEGER NOT NULL,
                    messages TEXT NOT NULL,
                    sampling TEXT NOT NULL,
                    schema TEXT,
                    completion TEXT,
                    finish_reason TEXT,
                    parsed_output TEXT,
                    valid INTEGER NOT NULL,
                    error TEXT,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    cached_prompt_tokens INTEGER NOT NULL,
                    time_to_first_token REAL NOT NULL,
                    latency REAL NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL NOT NULL,
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX model_calls_by_cache_key ON model_calls(cache_key);
                CREATE INDEX model_calls_by_run ON model_calls(run_id, step, seq);
                CREATE TABLE tool_calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    tool TEXT NOT NULL,
                    input TEXT NOT NULL,
                    output TEXT,
                    error TEXT,
                    duration REAL NOT NULL,
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX tool_calls_by_run ON tool_calls(run_id, step, seq);
                CREATE TABLE decisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    output TEXT NOT NULL,
                    rationale TEXT,
                    is_fallback INTEGER NOT NULL,
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX decisions_by_run ON decisions(run_id, step, seq);
                CREATE TABLE risk_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT,
                    rule TEXT NOT NULL,
                    action TEXT NOT NULL,
                    symbol TEXT,
                    proposed REAL NOT NULL,
                    allowed REAL NOT NULL,
                    detail TEXT NOT NULL,
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX risk_events_by_run ON risk_events(run_id, step, seq);
                CREATE TABLE failures (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL,
                    fallback TEXT NOT NULL,
                    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX failures_by_run ON failures(run_id, step, seq);
                """)
        }
        return migrator
    }
}
