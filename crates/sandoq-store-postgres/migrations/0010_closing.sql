-- Closing the count (issue 5 §1): headquarters freezes the set of station reports and the result
-- into a statement; supervisors co-sign it; k signatures make the result final. Never changed.

CREATE TABLE count_closing (
    election_id BIGINT PRIMARY KEY REFERENCES elections (id),
    statement TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at BIGINT NOT NULL
);

CREATE TABLE closing_signatures (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    username TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, username)
);

CREATE TRIGGER count_closing_append_only BEFORE UPDATE OR DELETE ON count_closing
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
CREATE TRIGGER closing_signatures_append_only BEFORE UPDATE OR DELETE ON closing_signatures
    FOR EACH ROW EXECUTE FUNCTION sandoq_append_only();
