-- The sealed roster and its amendments (issue 18 §1): documents (kind 'roster' with its version,
-- or 'amendment' with its number) and the supervisors' signatures of each. Append-only: a roster
-- prepared again is a new version; a signature is never changed or taken back.
CREATE TABLE roster_documents (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL CHECK (kind IN ('roster', 'amendment')),
    number BIGINT NOT NULL,
    text TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, kind, number)
);

CREATE TABLE roster_signatures (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL,
    number BIGINT NOT NULL,
    username TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, kind, number, username)
);

CREATE TRIGGER roster_documents_append_only BEFORE UPDATE OR DELETE ON roster_documents
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER roster_signatures_append_only BEFORE UPDATE OR DELETE ON roster_signatures
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
