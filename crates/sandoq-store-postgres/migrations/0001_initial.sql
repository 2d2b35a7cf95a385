-- sandoq central store, PostgreSQL dialect. Append-only: never edit a released
-- migration; add a new one. Instants are seconds since 1970 (UTC); dates are
-- day numbers since 1970-01-01. Every integer is BIGINT, as bound by the code.

CREATE TABLE elections (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('live', 'training')),
    seats BIGINT NOT NULL CHECK (seats > 0),
    constituency TEXT NOT NULL,
    polling_day BIGINT NOT NULL,
    offline_policy TEXT NOT NULL CHECK (offline_policy IN ('refuse', 'provisional'))
);

CREATE TABLE voters (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    national_code BIGINT NOT NULL,
    birth_date BIGINT NOT NULL,
    constituency TEXT NOT NULL,
    deceased BOOLEAN NOT NULL,
    barred BOOLEAN NOT NULL,
    PRIMARY KEY (election_id, national_code)
);

-- One row per person who voted: the primary key is what makes "one person, one vote" atomic.
CREATE TABLE check_ins (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    national_code BIGINT NOT NULL,
    station_code TEXT NOT NULL,
    checked_in_at BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (election_id, national_code),
    UNIQUE (election_id, request_id)
);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE FUNCTION sandoq_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER check_ins_append_only BEFORE UPDATE OR DELETE ON check_ins
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER check_ins_no_truncate BEFORE TRUNCATE ON check_ins
    FOR EACH STATEMENT EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION sandoq_append_only();
