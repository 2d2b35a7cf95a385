-- Election-day supervision (issue 5 §2): what each station last said about itself, the reports the
-- centre refused, and the alerts people acknowledged.

-- A station's latest status, sent (signed) by its agent while it runs: replaced each time.
CREATE TABLE station_status (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    state TEXT NOT NULL,
    ballots INTEGER NOT NULL,
    tokens_issued INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

-- Station reports the centre refused, with the reason's code (kept for the supervisors).
CREATE TABLE refused_reports (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    code TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- Alerts acknowledged, once each, with a note.
CREATE TABLE alert_acks (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    alert TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (election_id, alert)
);

CREATE TRIGGER refused_reports_no_update BEFORE UPDATE ON refused_reports
BEGIN SELECT RAISE(ABORT, 'refused reports are append-only'); END;
CREATE TRIGGER refused_reports_no_delete BEFORE DELETE ON refused_reports
BEGIN SELECT RAISE(ABORT, 'refused reports are append-only'); END;
CREATE TRIGGER alert_acks_no_update BEFORE UPDATE ON alert_acks
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER alert_acks_no_delete BEFORE DELETE ON alert_acks
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
