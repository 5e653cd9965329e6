-- 0004: two runner look-ups scanned whole tables, which made a month-end run quadratic in the
-- number of invoices (measured by the month_end bench): the orphan search asks "is this content
-- ours?" by hash for every invoice KSeF lists, and status polling asks when each invoice was sent.
-- Without these indexes SQLite walks every invoice of the company, and every 'sent' event.

CREATE INDEX invoices_sha256 ON invoices (company_id, sha256);
CREATE INDEX events_invoice_state ON events (invoice_id, to_state, at);
