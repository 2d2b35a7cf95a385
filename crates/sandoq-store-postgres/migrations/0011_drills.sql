-- Drills for station officials (issue 6 §4): a trainer starts one for a station of a training
-- election; what the centre then sees of that station (its states, the answers to its check-ins,
-- its report) is kept per kind of step, with the first time and how often, for the debrief.
-- Nothing here names a voter.

CREATE TABLE drills (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    election_id BIGINT NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    -- The drill card: the national codes to present at the desk (training data only), JSON.
    card TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at BIGINT NOT NULL
);

CREATE INDEX drills_by_station ON drills (election_id, station_code, id);

CREATE TABLE drill_steps (
    drill_id BIGINT NOT NULL REFERENCES drills (id),
    step TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (drill_id, step)
);

CREATE TRIGGER drills_append_only BEFORE UPDATE OR DELETE ON drills
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
