-- Election-day supervision (issue 5 §2): what each station last said about itself, the reports the
-- centre refused, and the alerts people acknowledged.

-- A station's latest status, sent (signed) by its agent while it runs: replaced each time.
CREATE TABLE station_status (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    state TEXT NOT NULL,
    ballots BIGINT NOT NULL,
    tokens_issued BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

-- Station reports the centre refused, with the reason's code (kept for the supervisors).
CREATE TABLE refused_reports (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    code TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Alerts acknowledged, once each, with a note.
CREATE TABLE alert_acks (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    alert TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (election_id, alert)
);

CREATE TRIGGER refused_reports_append_only BEFORE UPDATE OR DELETE ON refused_reports
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER alert_acks_append_only BEFORE UPDATE OR DELETE ON alert_acks
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
