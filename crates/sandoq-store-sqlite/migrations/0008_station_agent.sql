-- The polling station agent (issue 4): officials' co-signing keys, the election's paper-record
-- setting, and the ballot records each station sends after its report.

-- The Ed25519 public key (hex) a station official signs with, derived from the password given
-- when the user was created; empty for other roles.
ALTER TABLE users ADD COLUMN signing_key TEXT NOT NULL DEFAULT '';

-- Whether voters check a printed slip that goes into a sealed box (voter-verified paper record).
ALTER TABLE elections ADD COLUMN paper_record INTEGER NOT NULL DEFAULT 0;

-- A station's ballot records (a JSON array sorted by ballot id: no casting order), accepted only
-- when they match the commitment of the station's verified report. One per station, never changed.
CREATE TABLE station_ballots (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    records TEXT NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

CREATE TRIGGER station_ballots_no_update BEFORE UPDATE ON station_ballots
BEGIN SELECT RAISE(ABORT, 'ballot records are append-only'); END;
CREATE TRIGGER station_ballots_no_delete BEFORE DELETE ON station_ballots
BEGIN SELECT RAISE(ABORT, 'ballot records are append-only'); END;
