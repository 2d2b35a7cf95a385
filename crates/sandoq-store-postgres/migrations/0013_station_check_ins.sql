-- Check-ins counted per station as they are inserted (issue 18 §3): the centre refuses a station
-- report with more ballots than the check-ins it holds for that station, and reads that count
-- in one row instead of counting millions. Kept by a statement trigger (one upsert per station a
-- statement touches), so that every way a check-in is written (one, in bulk, synced after an
-- outage) counts it, in the same transaction.
CREATE TABLE station_check_ins (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    check_ins BIGINT NOT NULL,
    PRIMARY KEY (election_id, station_code)
);

INSERT INTO station_check_ins (election_id, station_code, check_ins)
    SELECT election_id, station_code, COUNT(*) FROM check_ins GROUP BY election_id, station_code;

CREATE FUNCTION sandoq_count_check_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO station_check_ins (election_id, station_code, check_ins)
        SELECT election_id, station_code, COUNT(*) FROM inserted GROUP BY election_id, station_code
        ORDER BY election_id, station_code
        ON CONFLICT (election_id, station_code)
        DO UPDATE SET check_ins = station_check_ins.check_ins + EXCLUDED.check_ins;
    RETURN NULL;
END $$;

CREATE TRIGGER check_ins_counted AFTER INSERT ON check_ins
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION sandoq_count_check_ins();
