-- Write-key scopes and account limits. Sources created before scopes keep what they could do
-- (every signal); new ones get usage and identity only (ingest.scopes.DEFAULT).
ALTER TABLE sources ADD COLUMN scopes text[] NOT NULL DEFAULT '{usage,identity}',
                    ADD COLUMN accounts text[] NOT NULL DEFAULT '{}';
UPDATE sources SET scopes = '{identity,"signals:*",usage}';
