import GRDB

/// The journal's schema, as an ordered list of migrations. Never edit a released migration;
/// add a new one. `docs/journal.md` documents every table and index.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, agents, steps, book, orders, fills, agents' records, full-text search") { db in
            try db.execute(sql: runsAndSteps)
            try db.execute(sql: book)
            try db.execute(sql: agentsRecords)
            try db.execute(sql: fullTextSearch)
        }
        return migrator
    }

    /// Runs, their agents and their steps: what a resume and a listing read.
    private static let runsAndSteps = """
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
            resumes INTEGER NOT NULL DEFAULT 0,
            writer_host TEXT,
            writer_pid INTEGER,
            final_equity REAL,
            total_return REAL,
            max_drawdown REAL,
            sessions INTEGER,
            fills INTEGER,
            model_calls INTEGER,
            failures INTEGER
        );
        CREATE INDEX runs_by_status ON runs(status);
        CREATE TABLE agents (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            stage TEXT NOT NULL,
            model_name TEXT,
            model_digest TEXT,
            context_length INTEGER,
            instruction_digest TEXT,
            tools TEXT NOT NULL,
            declared INTEGER NOT NULL,
            seq INTEGER,
            PRIMARY KEY (run_id, role)
        ) WITHOUT ROWID;
        CREATE TABLE steps (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            day TEXT NOT NULL,
            is_decision INTEGER NOT NULL,
            snapshot_digest TEXT,
            digest TEXT NOT NULL,
            committed_at TEXT NOT NULL,
            PRIMARY KEY (run_id, idx)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX steps_by_day ON steps(run_id, day);
        """

    /// The book: equity, positions, orders and their lifecycle, fills and cash.
    ///
    /// These tables take thousands of rows a step on a large universe, so they carry no secondary
    /// index but `orders_by_step`: their primary keys start with (run_id, step), and a run's rows
    /// for a symbol or an order are found by a range scan of the run's (or a window's) steps.
    private static let book = """
        CREATE TABLE equity (
            run_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            day TEXT NOT NULL,
            cash REAL NOT NULL,
            positions_value REAL NOT NULL,
            equity REAL NOT NULL,
            gross_exposure REAL NOT NULL,
            PRIMARY KEY (run_id, step),
            FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE TABLE positions (
            run_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            day TEXT NOT NULL,
            symbol TEXT NOT NULL,
            quantity REAL NOT NULL,
            average_cost REAL NOT NULL,
            last_price REAL NOT NULL,
            market_value REAL NOT NULL,
            realized_pnl REAL NOT NULL,
            unrealized_pnl REAL NOT NULL,
            PRIMARY KEY (run_id, step, symbol),
            FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE TABLE orders (
            run_id INTEGER NOT NULL,
            id INTEGER NOT NULL,
            step INTEGER NOT NULL,
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
            triggered INTEGER NOT NULL,
            updated_step INTEGER NOT NULL,
            PRIMARY KEY (run_id, id),
            FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX orders_by_step ON orders(run_id, step);
        CREATE TABLE order_updates (
            run_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            order_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            filled_quantity REAL NOT NULL,
            average_fill_price REAL NOT NULL,
            triggered INTEGER NOT NULL,
            PRIMARY KEY (run_id, step, order_id),
            FOREIGN KEY (run_id, step) REFERENCES steps(run_id, idx) ON DELETE CASCADE
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
        """

    /// What the agents did: model calls, tool calls, decisions, risk events, failures.
    private static let agentsRecords = """
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
            prompt TEXT NOT NULL,
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
        CREATE INDEX model_calls_by_step ON model_calls(run_id, step, seq);
        CREATE INDEX model_calls_cache ON model_calls(cache_key) WHERE completion IS NOT NULL AND cache_hit = 0;
        CREATE INDEX model_calls_by_role ON model_calls(run_id, role);
        CREATE INDEX model_calls_by_time ON model_calls(started_at);
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
        CREATE INDEX tool_calls_by_step ON tool_calls(run_id, step, seq);
        CREATE INDEX tool_calls_by_role ON tool_calls(run_id, role);
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
        CREATE INDEX decisions_by_step ON decisions(run_id, step, seq);
        CREATE INDEX decisions_by_role ON decisions(run_id, role);
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
        CREATE INDEX risk_events_by_step ON risk_events(run_id, step, seq);
        CREATE INDEX risk_events_by_symbol ON risk_events(run_id, symbol);
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
        CREATE INDEX failures_by_step ON failures(run_id, step, seq);
        """

    /// FTS5 indexes over prompts and completions (`model_calls_fts`) and rationales and outputs
    /// (`decisions_fts`), external-content tables kept in step by triggers, so a step's text is
    /// searchable exactly when its transaction commits.
    private static let fullTextSearch = """
        CREATE VIRTUAL TABLE model_calls_fts USING fts5(
            prompt, completion, content='model_calls', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
        CREATE TRIGGER model_calls_fts_insert AFTER INSERT ON model_calls BEGIN
            INSERT INTO model_calls_fts(rowid, prompt, completion) VALUES (new.id, new.prompt, new.completion);
        END;
        CREATE TRIGGER model_calls_fts_delete AFTER DELETE ON model_calls BEGIN
            INSERT INTO model_calls_fts(model_calls_fts, rowid, prompt, completion) VALUES ('delete', old.id, old.prompt, old.completion);
        END;
        CREATE TRIGGER model_calls_fts_update AFTER UPDATE OF prompt, completion ON model_calls BEGIN
            INSERT INTO model_calls_fts(model_calls_fts, rowid, prompt, completion) VALUES ('delete', old.id, old.prompt, old.completion);
            INSERT INTO model_calls_fts(rowid, prompt, completion) VALUES (new.id, new.prompt, new.completion);
        END;
        CREATE VIRTUAL TABLE decisions_fts USING fts5(
            rationale, output, content='decisions', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
        CREATE TRIGGER decisions_fts_insert AFTER INSERT ON decisions BEGIN
            INSERT INTO decisions_fts(rowid, rationale, output) VALUES (new.id, new.rationale, new.output);
        END;
        CREATE TRIGGER decisions_fts_delete AFTER DELETE ON decisions BEGIN
            INSERT INTO decisions_fts(decisions_fts, rowid, rationale, output) VALUES ('delete', old.id, old.rationale, old.output);
        END;
        CREATE TRIGGER decisions_fts_update AFTER UPDATE OF rationale, output ON decisions BEGIN
            INSERT INTO decisions_fts(decisions_fts, rowid, rationale, output) VALUES ('delete', old.id, old.rationale, old.output);
            INSERT INTO decisions_fts(rowid, rationale, output) VALUES (new.id, new.rationale, new.output);
        END;
        """
}
