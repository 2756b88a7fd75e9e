-- Why the customer got in touch (ticket.changed's contact_reason, from the company's CONTACT_REASONS).
ALTER TABLE tickets ADD COLUMN contact_reason text;
CREATE INDEX tickets_opened ON tickets (opened_at);
