-- 0005: the invoice list at 100 000 rows. Lists and counts used to read whole table rows (the
-- original XML is stored inline, so about one 4 KiB page per invoice) just to test `removed_at`:
-- a count, a state chip or a far page read the entire table. Each index below is one sort
-- column's order (then `id`, the tie-breaker) and carries every column the list filters on, so
-- a filtered count is answered from an index alone and a page, however far down, walks index
-- entries and reads only its own rows. `Store::list_invoices` names the index it uses.

CREATE INDEX invoices_list_updated_at ON invoices
    (company_id, removed_at, updated_at, id, state, issue_date, invoice_number, buyer_nip, buyer_name);
CREATE INDEX invoices_list_issue_date ON invoices
    (company_id, removed_at, issue_date, id, state, invoice_number, buyer_nip, buyer_name);
CREATE INDEX invoices_list_invoice_number ON invoices
    (company_id, removed_at, invoice_number, id, state, issue_date, buyer_nip, buyer_name);
CREATE INDEX invoices_list_buyer_name ON invoices
    (company_id, removed_at, buyer_name, id, state, issue_date, invoice_number, buyer_nip);
CREATE INDEX invoices_list_gross_minor ON invoices
    (company_id, removed_at, gross_minor, id, state, issue_date, invoice_number, buyer_nip, buyer_name);
CREATE INDEX invoices_list_ksef_number ON invoices
    (company_id, removed_at, ksef_number, id, state, issue_date, invoice_number, buyer_nip, buyer_name);
-- Also the per-state counts (the chips) and a count of a state chip alone.
CREATE INDEX invoices_list_state ON invoices
    (company_id, removed_at, state, id, issue_date, invoice_number, buyer_nip, buyer_name);
