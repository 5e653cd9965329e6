-- 0006: the Sandbox gets its own environment name. The CHECK allowed only test, demo and prod, so
-- the app stored its in-process Sandbox as `test` and told it apart by base URL `in-process`.
-- SQLite cannot alter a CHECK, so the table is rebuilt keeping every id (SQLite's documented
-- procedure: `migrate` turns foreign-key enforcement off around migrations and checks every key
-- before committing). The Sandbox rows are renamed on the way.

CREATE TABLE companies_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    environment  TEXT    NOT NULL CHECK (environment IN ('sandbox', 'test', 'demo', 'prod')),
    nip          TEXT    NOT NULL,
    base_url     TEXT    NOT NULL,
    -- Name of the OS keyring entry holding the credential. The credential itself never lives here.
    keyring_ref  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (environment, nip)
);

INSERT INTO companies_new (id, name, environment, nip, base_url, keyring_ref, created_at)
SELECT id, name,
       CASE WHEN environment = 'test' AND base_url = 'in-process' THEN 'sandbox' ELSE environment END,
       nip, base_url, keyring_ref, created_at
FROM companies;

DROP TABLE companies;
ALTER TABLE companies_new RENAME TO companies;
