-- 0001: the durable outbox. Every timestamp is Unix milliseconds from the engine's injected clock;
-- nothing here calls SQL's time functions, so tests drive time and replicas agree.

CREATE TABLE companies (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    environment  TEXT    NOT NULL CHECK (environment IN ('test', 'demo', 'prod')),
    nip          TEXT    NOT NULL,
    base_url     TEXT    NOT NULL,
    -- Name of the OS keyring entry holding the credential. The credential itself never lives here.
    keyring_ref  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (environment, nip)
);

CREATE TABLE invoices (
    id                INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES companies (id),
    file_name         TEXT    NOT NULL,
    source_path       TEXT    NOT NULL,
    original          BLOB    NOT NULL,
    size_bytes        INTEGER NOT NULL CHECK (size_bytes = length(original)),
    sha256            TEXT    NOT NULL CHECK (length(sha256) = 64),
    seller_nip        TEXT,
    buyer_nip         TEXT,
    buyer_name        TEXT,
    invoice_type      TEXT,
    invoice_number    TEXT,
    issue_date        TEXT,
    currency          TEXT,
    gross_minor       INTEGER,
    line_count        INTEGER,
    has_attachment    INTEGER NOT NULL DEFAULT 0 CHECK (has_attachment IN (0, 1)),
    duplicate_key     TEXT,
    content_hash      TEXT    NOT NULL,
    conflict_with     INTEGER REFERENCES invoices (id),
    state             TEXT    NOT NULL CHECK (state IN ('invalid', 'conflict', 'queued', 'sending',
                                   'sent', 'accepted', 'rejected', 'needs_attention')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   INTEGER,
    lease_owner       TEXT,
    lease_until       INTEGER,
    fence             INTEGER NOT NULL DEFAULT 0,
    ksef_session_ref  TEXT,
    ksef_invoice_ref  TEXT,
    ksef_number       TEXT,
    error_code        TEXT,
    error_detail      TEXT,
    trace_id          TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (company_id, content_hash),
    -- Per-state invariants, enforced by the database as well as by state.rs.
    CHECK (state <> 'accepted' OR ksef_number IS NOT NULL),
    CHECK (state <> 'sending' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (state <> 'sent' OR ksef_invoice_ref IS NOT NULL),
    CHECK (state <> 'queued' OR next_attempt_at IS NOT NULL),
    CHECK (state <> 'conflict' OR conflict_with IS NOT NULL)
);
CREATE INDEX invoices_duplicate_key ON invoices (company_id, duplicate_key);
CREATE INDEX invoices_ready ON invoices (company_id, state, next_attempt_at);
CREATE INDEX invoices_issue_date ON invoices (company_id, issue_date);
CREATE INDEX invoices_number ON invoices (company_id, invoice_number);
CREATE INDEX invoices_buyer ON invoices (company_id, buyer_nip);
CREATE INDEX invoices_buyer_name ON invoices (company_id, buyer_name);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    code        TEXT    NOT NULL,
    severity    TEXT    NOT NULL CHECK (severity IN ('error', 'warning')),
    message     TEXT    NOT NULL,
    path        TEXT
);
CREATE INDEX findings_invoice ON findings (invoice_id);

CREATE TABLE ksef_sessions (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES companies (id),
    ref              TEXT    NOT NULL UNIQUE,
    kind             TEXT    NOT NULL CHECK (kind IN ('online', 'batch')),
    state            TEXT    NOT NULL CHECK (state IN ('open', 'closing', 'closed', 'failed')),
    remote_status    INTEGER,
    opened_at        INTEGER NOT NULL,
    closed_at        INTEGER,
    valid_until      INTEGER,
    upo_pages_total  INTEGER,
    upo_pages_fetched INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    invoice_id   INTEGER REFERENCES invoices (id),
    session_id   INTEGER REFERENCES ksef_sessions (id),
    kind         TEXT    NOT NULL,
    request_id   TEXT,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('ok', 'transient', 'permanent', 'unknown')),
    error_code   TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL CHECK (finished_at >= started_at),
    CHECK (invoice_id IS NOT NULL OR session_id IS NOT NULL)
);
CREATE INDEX attempts_invoice ON attempts (invoice_id);

CREATE TABLE upos (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
    xml         BLOB    NOT NULL,
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
    verified    INTEGER NOT NULL CHECK (verified IN (0, 1)),
    fetched_at  INTEGER NOT NULL
);

-- Append-only audit trail: one row per state change, written in the same transaction.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    trace_id    TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL CHECK (actor IN ('user', 'engine', 'ksef', 'reconciler')),
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    code        TEXT,
    detail      TEXT
);
CREATE INDEX events_invoice ON events (invoice_id, id);
CREATE INDEX events_to_state_at ON events (to_state, at);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    invoice_id   INTEGER REFERENCES invoices (id),
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    raised_at    INTEGER NOT NULL,
    resolved_at  INTEGER CHECK (resolved_at IS NULL OR resolved_at >= raised_at)
);

-- Shared rate-limit budget: one row per granted request, pruned past the longest window.
CREATE TABLE limiter_events (
    grp    TEXT    NOT NULL,
    at_ms  INTEGER NOT NULL
);
CREATE INDEX limiter_events_grp_at ON limiter_events (grp, at_ms);

-- A 429 blocks a group until Retry-After and shrinks its budget for a while.
CREATE TABLE limiter_penalties (
    grp            TEXT    PRIMARY KEY,
    blocked_until  INTEGER NOT NULL,
    reduced_until  INTEGER NOT NULL
);
