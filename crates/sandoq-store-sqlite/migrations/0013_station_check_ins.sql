-- Check-ins counted per station as they are inserted (issue 18 §3): the centre refuses a station
-- report with more ballots than the check-ins it holds for that station, and reads that count
-- in one row instead of counting millions. Kept by a trigger, so that every way a check-in is
-- written (one, in bulk, synced after an outage) counts it, in the same transaction.
CREATE TABLE station_check_ins (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    check_ins INTEGER NOT NULL,
    PRIMARY KEY (election_id, station_code)
) WITHOUT ROWID;

INSERT INTO station_check_ins (election_id, station_code, check_ins)
    SELECT election_id, station_code, COUNT(*) FROM check_ins GROUP BY election_id, station_code;

CREATE TRIGGER check_ins_counted AFTER INSERT ON check_ins
BEGIN
    INSERT INTO station_check_ins (election_id, station_code, check_ins)
        VALUES (NEW.election_id, NEW.station_code, 1)
        ON CONFLICT (election_id, station_code) DO UPDATE SET check_ins = check_ins + 1;
END;
