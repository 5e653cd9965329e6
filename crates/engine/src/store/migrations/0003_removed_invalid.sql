-- 0003: a person can take invalid invoices off the list. The row and its history stay (the event
-- log is append-only and records the removal); the list and the counts skip removed rows.

ALTER TABLE invoices ADD COLUMN removed_at INTEGER;
