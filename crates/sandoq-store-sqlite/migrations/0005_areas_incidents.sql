-- Counties and districts (what an executive board is scoped to), polling
-- stations, candidates' photos, incidents found when provisional check-ins
-- are synced, and a mark on check-ins recorded offline.

CREATE TABLE areas (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('county', 'district')),
    parent_code TEXT NOT NULL,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (election_id, code)
) WITHOUT ROWID;

CREATE TABLE stations (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    code TEXT NOT NULL,
    district_code TEXT NOT NULL,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (election_id, code),
    FOREIGN KEY (election_id, district_code) REFERENCES areas (election_id, code)
) WITHOUT ROWID;

CREATE TABLE photos (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    candidate_code TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (election_id, candidate_code)
) WITHOUT ROWID;

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL CHECK (kind IN ('double_vote', 'ineligible')),
    national_code TEXT NOT NULL,
    station_code TEXT NOT NULL,
    at INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    first_station_code TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    detail TEXT NOT NULL,
    UNIQUE (election_id, station_code, request_id)
);

CREATE TRIGGER incidents_no_update BEFORE UPDATE ON incidents
BEGIN SELECT RAISE(ABORT, 'incidents are append-only'); END;
CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
BEGIN SELECT RAISE(ABORT, 'incidents are append-only'); END;

ALTER TABLE check_ins ADD COLUMN provisional BOOLEAN NOT NULL DEFAULT 0;
