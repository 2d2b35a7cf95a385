-- The sealed roster and its amendments (issue 18 §1): documents (kind 'roster' with its version,
-- or 'amendment' with its number) and the supervisors' signatures of each. Append-only: a roster
-- prepared again is a new version; a signature is never changed or taken back.
CREATE TABLE roster_documents (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL CHECK (kind IN ('roster', 'amendment')),
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at INTEGER NOT NULL,
    PRIMARY KEY (election_id, kind, number)
);

CREATE TABLE roster_signatures (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    username TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (election_id, kind, number, username)
);

CREATE TRIGGER roster_documents_no_update BEFORE UPDATE ON roster_documents
BEGIN SELECT RAISE(ABORT, 'roster documents are append-only'); END;
CREATE TRIGGER roster_documents_no_delete BEFORE DELETE ON roster_documents
BEGIN SELECT RAISE(ABORT, 'roster documents are append-only'); END;
CREATE TRIGGER roster_signatures_no_update BEFORE UPDATE ON roster_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER roster_signatures_no_delete BEFORE DELETE ON roster_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
