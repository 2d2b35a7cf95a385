-- Station reports received from polling stations (signed by the station's device and verified
-- before they are stored). One per station; a report is never changed once received.

CREATE TABLE station_reports (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    report TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

CREATE TRIGGER station_reports_append_only BEFORE UPDATE OR DELETE ON station_reports
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER station_reports_no_truncate BEFORE TRUNCATE ON station_reports
    FOR EACH STATEMENT EXECUTE FUNCTION sandoq_append_only();
