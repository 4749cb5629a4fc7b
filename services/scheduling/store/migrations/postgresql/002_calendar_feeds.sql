-- Calendar feed URLs: a clinician's appointments for calendar apps, which cannot send a bearer token. Only the
-- SHA-256 of each token is kept (token_hash, hex), so this table opens no feed; a fetch finds its feed by it.
-- A revoked feed keeps its row (revoked_at set) so that the audit trail's feed ids stay resolvable.
CREATE TABLE IF NOT EXISTS calendar_feeds (
  clinic_id    text        NOT NULL,
  feed_id      text        NOT NULL,
  clinician_id text        NOT NULL,
  token_hash   text        NOT NULL,
  created_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  PRIMARY KEY (clinic_id, feed_id)
);

CREATE UNIQUE INDEX IF NOT EXISTS calendar_feeds_by_token_hash ON calendar_feeds (token_hash);
CREATE INDEX IF NOT EXISTS calendar_feeds_by_clinician ON calendar_feeds (clinic_id, clinician_id);
