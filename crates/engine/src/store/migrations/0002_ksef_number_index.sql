-- 0002: the invoice list sorts by KSeF number (the column accountants look invoices up by).

CREATE INDEX invoices_ksef_number ON invoices (company_id, ksef_number);
