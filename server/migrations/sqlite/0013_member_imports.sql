-- Member imports (MEM-1 bulk import): each import runs in the background in chunks, one
-- transaction each; this row is its progress and its report. A server that stops while
-- a job runs leaves it 'running' until the next start marks it 'interrupted'; importing
-- the same file again finishes it, because rows whose phone is already a member's create
-- nothing.
CREATE TABLE member_imports (
    id           TEXT PRIMARY KEY,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    staff_id     TEXT NOT NULL REFERENCES staff (id),
    state        TEXT NOT NULL
                 CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
    rows_total   BIGINT NOT NULL,
    rows_done    BIGINT NOT NULL DEFAULT 0,
    created      BIGINT NOT NULL DEFAULT 0,
    existing     BIGINT NOT NULL DEFAULT 0,
    skipped      BIGINT NOT NULL DEFAULT 0,
    -- The dry-run report of the file as checked when the import started (JSON).
    report       TEXT NOT NULL,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX member_imports_state ON member_imports (state, created_at);
