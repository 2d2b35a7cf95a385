-- Closing the count (issue 5 §1): headquarters freezes the set of station reports and the result
-- into a statement; supervisors co-sign it; k signatures make the result final. Never changed.

CREATE TABLE count_closing (
    election_id INTEGER PRIMARY KEY REFERENCES elections (id),
    statement TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at INTEGER NOT NULL
);

CREATE TABLE closing_signatures (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    username TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (election_id, username)
);

CREATE TRIGGER count_closing_no_update BEFORE UPDATE ON count_closing
BEGIN SELECT RAISE(ABORT, 'the closing of the count is never changed'); END;
CREATE TRIGGER count_closing_no_delete BEFORE DELETE ON count_closing
BEGIN SELECT RAISE(ABORT, 'the closing of the count is never changed'); END;
CREATE TRIGGER closing_signatures_no_update BEFORE UPDATE ON closing_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER closing_signatures_no_delete BEFORE DELETE ON closing_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
