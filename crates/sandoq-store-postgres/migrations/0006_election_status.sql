-- Polling hours (minutes after midnight, Tehran time), where the election is in its life, and
-- its rule set with options (compact JSON, checked by the counting engine when set).

ALTER TABLE elections ADD COLUMN opens_at BIGINT NOT NULL DEFAULT 480;
ALTER TABLE elections ADD COLUMN closes_at BIGINT NOT NULL DEFAULT 1080;
ALTER TABLE elections ADD COLUMN status TEXT NOT NULL DEFAULT 'setup' CHECK (status IN ('setup', 'voting', 'closed'));
ALTER TABLE elections ADD COLUMN rules TEXT NOT NULL DEFAULT '{"rule_set":"tehran-1405","options":{}}';
