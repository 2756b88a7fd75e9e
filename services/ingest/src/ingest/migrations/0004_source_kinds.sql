-- What kind of sender a source is (the tracking and signals API, a CDP destination, or a CRM / support
-- desk webhook with its adapter), the secret its signatures are checked with (sealed with SECRETS_KEY,
-- never stored in clear), and its configuration (field mapping, stage ids, organisation id).
ALTER TABLE sources
    ADD COLUMN kind text NOT NULL DEFAULT 'api'
        CHECK (kind IN ('api', 'hubspot', 'salesforce', 'zendesk', 'intercom')),
    ADD COLUMN signing_secret text,
    ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
