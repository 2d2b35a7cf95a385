-- sandoq central store, SQLite dialect. Append-only: never edit a released
-- migration; add a new one. Instants are seconds since 1970 (UTC); dates are
-- day numbers since 1970-01-01.

CREATE TABLE elections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('live', 'training')),
    seats INTEGER NOT NULL CHECK (seats > 0),
    constituency TEXT NOT NULL,
    polling_day INTEGER NOT NULL,
    offline_policy TEXT NOT NULL CHECK (offline_policy IN ('refuse', 'provisional'))
);

CREATE TABLE voters (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    national_code INTEGER NOT NULL,
    birth_date INTEGER NOT NULL,
    constituency TEXT NOT NULL,
    deceased BOOLEAN NOT NULL,
    barred BOOLEAN NOT NULL,
    PRIMARY KEY (election_id, national_code)
) WITHOUT ROWID;

-- One row per person who voted: the primary key is what makes "one person, one vote" atomic.
CREATE TABLE check_ins (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    national_code INTEGER NOT NULL,
    station_code TEXT NOT NULL,
    checked_in_at INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (election_id, national_code),
    UNIQUE (election_id, request_id)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TRIGGER check_ins_no_update BEFORE UPDATE ON check_ins
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
CREATE TRIGGER check_ins_no_delete BEFORE DELETE ON check_ins
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
