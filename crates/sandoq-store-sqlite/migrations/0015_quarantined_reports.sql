-- Station reports the centre stopped counting (issue 18 §3): the station's own ballot records,
-- signed by its device and exactly what the report committed to, count to something else than
-- the report says. The report stays where it is (station_reports is append-only); it is left out
-- of every count, and the supervisors see the quarantine. Once per station: a quarantine is a fact
-- and never lifted by anything the station sends again.
-- (0014 is another change's number; the migration runner applies what is missing, by number.)
CREATE TABLE quarantined_reports (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    code TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

CREATE TRIGGER quarantined_reports_no_update BEFORE UPDATE ON quarantined_reports
BEGIN SELECT RAISE(ABORT, 'quarantined reports are append-only'); END;
CREATE TRIGGER quarantined_reports_no_delete BEFORE DELETE ON quarantined_reports
BEGIN SELECT RAISE(ABORT, 'quarantined reports are append-only'); END;
