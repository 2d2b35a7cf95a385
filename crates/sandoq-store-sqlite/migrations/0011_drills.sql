-- Drills for station officials (issue 6 §4): a trainer starts one for a station of a training
-- election; what the centre then sees of that station (its states, the answers to its check-ins,
-- its report) is kept per kind of step, with the first time and how often, for the debrief.
-- Nothing here names a voter.

CREATE TABLE drills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    -- The drill card: the national codes to present at the desk (training data only), JSON.
    card TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL
);

CREATE INDEX drills_by_station ON drills (election_id, station_code, id);

CREATE TABLE drill_steps (
    drill_id INTEGER NOT NULL REFERENCES drills (id),
    step TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (drill_id, step)
) WITHOUT ROWID;

CREATE TRIGGER drills_no_update BEFORE UPDATE ON drills
BEGIN SELECT RAISE(ABORT, 'drills are never changed'); END;
CREATE TRIGGER drills_no_delete BEFORE DELETE ON drills
BEGIN SELECT RAISE(ABORT, 'drills are never removed'); END;
