-- 0007: a UPO document is stored once. A session UPO page is the receipt of every invoice it lists
-- (up to 10 000), so keeping the page in each invoice's row stored it once per invoice: 9 000
-- copies of one 4.4 MB page (40 GB) after a month-end batch. The documents now live in
-- `upo_documents` by their SHA-256, and each invoice's receipt row points at its document. The
-- table is rebuilt keeping every id (`migrate` turns foreign-key enforcement off around migrations
-- and checks every key before committing).

CREATE TABLE upo_documents (
    sha256  TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    -- Exactly the bytes KSeF returned: the legal record, never re-encoded.
    xml     BLOB NOT NULL
);

INSERT OR IGNORE INTO upo_documents (sha256, xml) SELECT sha256, xml FROM upos;

CREATE TABLE upos_new (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
    sha256      TEXT    NOT NULL REFERENCES upo_documents (sha256),
    verified    INTEGER NOT NULL CHECK (verified IN (0, 1)),
    fetched_at  INTEGER NOT NULL
);

INSERT INTO upos_new (id, invoice_id, sha256, verified, fetched_at)
SELECT id, invoice_id, sha256, verified, fetched_at FROM upos;

DROP TABLE upos;
ALTER TABLE upos_new RENAME TO upos;
CREATE INDEX upos_sha256 ON upos (sha256);
