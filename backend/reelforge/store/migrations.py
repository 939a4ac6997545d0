"""Schema migrations, applied in order and tracked by `PRAGMA user_version`.

Append new steps; never edit a published one. A database whose user_version is higher than the
number of steps here was written by a newer Reelforge and is refused rather than misread.
"""

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'generate',
        status TEXT NOT NULL CHECK (
            status IN ('queued', 'running', 'completed', 'failed', 'cancelled')
        ),
        stage TEXT,
        percent REAL NOT NULL DEFAULT 0,
        message TEXT,
        eta_sec REAL,
        request TEXT NOT NULL,
        error_code TEXT,
        error_message TEXT,
        remediation TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_status ON jobs (status, created_at);

    CREATE TABLE job_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX job_events_job ON job_events (job_id, id);

    CREATE TABLE artifacts (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        filename TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX artifacts_job ON artifacts (job_id);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
)
