-- Discounts that stay true, and a term's lineage (issue 24.6, 24.8):
-- * every term keeps the deal it came from (origin_deal_id), so a deal CS rejected stays out of the CSM's
--   retention figures in year two too, and lead-source and deal-band reports keep every later term;
-- * a temporary discount (a ramp, a concession) has a label and an end date: its end is a renewal-risk reason.
ALTER TABLE contracts ADD COLUMN origin_deal_id text;
ALTER TABLE contracts ADD COLUMN temporary_discount_label text;
ALTER TABLE contracts ADD COLUMN temporary_discount_expires_on date;
UPDATE contracts SET origin_deal_id = deal_id WHERE deal_id IS NOT NULL;
-- terms rolled forward before: '<first contract>@<date>@<date>…' name the first term of their chain
UPDATE contracts c SET origin_deal_id = f.deal_id
  FROM contracts f
 WHERE c.origin_deal_id IS NULL AND position('@' in c.contract_id) > 0
   AND f.contract_id = split_part(c.contract_id, '@', 1) AND f.deal_id IS NOT NULL;
CREATE INDEX contracts_origin_deal_idx ON contracts (origin_deal_id);
