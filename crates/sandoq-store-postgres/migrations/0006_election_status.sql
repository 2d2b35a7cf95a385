-- Polling hours (minutes after midnight, Tehran time) and where the election is in its life.

ALTER TABLE elections ADD COLUMN opens_at BIGINT NOT NULL DEFAULT 480;
ALTER TABLE elections ADD COLUMN closes_at BIGINT NOT NULL DEFAULT 1080;
ALTER TABLE elections ADD COLUMN status TEXT NOT NULL DEFAULT 'setup' CHECK (status IN ('setup', 'voting', 'closed'));
