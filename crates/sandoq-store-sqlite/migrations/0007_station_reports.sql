-- Station reports received from polling stations (signed by the station's device and verified
-- before they are stored). One per station; a report is never changed once received.

CREATE TABLE station_reports (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    report TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

CREATE TRIGGER station_reports_no_update BEFORE UPDATE ON station_reports
BEGIN SELECT RAISE(ABORT, 'station reports are append-only'); END;
CREATE TRIGGER station_reports_no_delete BEFORE DELETE ON station_reports
BEGIN SELECT RAISE(ABORT, 'station reports are append-only'); END;
