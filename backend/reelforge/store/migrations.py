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
    """
    CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        fps INTEGER NOT NULL,
        source_job_id TEXT,
        current_version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX projects_created ON projects (created_at);

    CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('original', 'generated')),
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        format TEXT NOT NULL,
        duration REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        fps REAL,
        video_codec TEXT NOT NULL,
        audio_codec TEXT,
        thumbnail_path TEXT,
        proxy_path TEXT,
        proxy_status TEXT NOT NULL DEFAULT 'pending'
            CHECK (proxy_status IN ('pending', 'ready', 'failed')),
        created_at TEXT NOT NULL
    );
    CREATE INDEX assets_project ON assets (project_id, created_at);

    CREATE TABLE segments (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
        start_frame INTEGER NOT NULL CHECK (start_frame >= 0),
        end_frame INTEGER NOT NULL CHECK (end_frame > start_frame),
        origin TEXT NOT NULL,
        grade TEXT,
        parent_id TEXT,
        version INTEGER NOT NULL
    );
    CREATE INDEX segments_project ON segments (project_id);
    CREATE INDEX segments_asset ON segments (asset_id);

    CREATE TABLE timeline_versions (
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        parent INTEGER,
        label TEXT NOT NULL,
        segment_ids TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (project_id, version)
    );
    """,
    """
    CREATE TABLE templates (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        builtin INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX templates_name ON templates (name);

    ALTER TABLE projects ADD COLUMN defaults TEXT;

    CREATE TABLE variants (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        label TEXT NOT NULL,
        operations TEXT NOT NULL,
        path TEXT NOT NULL,
        preview_path TEXT,
        start_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL CHECK (end_frame > start_frame),
        base_version INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'accepted')),
        accepted_version INTEGER,
        asset_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX variants_job ON variants (job_id, position);

    CREATE TABLE ai_operations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT,
        role TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT,
        operation TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
        error_kind TEXT,
        detail TEXT,
        duration_ms REAL NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX ai_operations_created ON ai_operations (id);
    """,
    """
    CREATE TABLE jobs_new (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'generate',
        status TEXT NOT NULL CHECK (
            status IN ('queued', 'running', 'review', 'completed', 'failed', 'cancelled')
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
        updated_at TEXT NOT NULL,
        parent_id TEXT
    );
    INSERT INTO jobs_new (id, kind, status, stage, percent, message, eta_sec, request,
        error_code, error_message, remediation, attempts, created_at, started_at, finished_at,
        updated_at)
        SELECT id, kind, status, stage, percent, message, eta_sec, request, error_code,
        error_message, remediation, attempts, created_at, started_at, finished_at, updated_at
        FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_new RENAME TO jobs;
    CREATE INDEX jobs_status ON jobs (status, created_at);
    CREATE INDEX jobs_parent ON jobs (parent_id);

    CREATE TABLE assets_new (
        id TEXT PRIMARY KEY,
        project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
        kind TEXT NOT NULL DEFAULT 'video' CHECK (kind IN ('video', 'image', 'audio')),
        name TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('original', 'generated')),
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        format TEXT NOT NULL,
        duration REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        fps REAL,
        video_codec TEXT NOT NULL,
        audio_codec TEXT,
        thumbnail_path TEXT,
        proxy_path TEXT,
        proxy_status TEXT NOT NULL DEFAULT 'pending'
            CHECK (proxy_status IN ('pending', 'ready', 'failed')),
        created_at TEXT NOT NULL
    );
    INSERT INTO assets_new (id, project_id, name, origin, path, size, format, duration, width,
        height, fps, video_codec, audio_codec, thumbnail_path, proxy_path, proxy_status,
        created_at)
        SELECT id, project_id, name, origin, path, size, format, duration, width, height, fps,
        video_codec, audio_codec, thumbnail_path, proxy_path, proxy_status, created_at
        FROM assets;
    DROP TABLE assets;
    ALTER TABLE assets_new RENAME TO assets;
    CREATE INDEX assets_project ON assets (project_id, created_at);

    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        title TEXT NOT NULL,
        format TEXT NOT NULL,
        encoding TEXT,
        size INTEGER NOT NULL,
        word_count INTEGER NOT NULL,
        sections TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX documents_created ON documents (created_at);
    """,
)
