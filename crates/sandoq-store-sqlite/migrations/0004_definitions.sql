-- The election definition (lists, candidates, independents) in its canonical
-- form, and the SHA-256 of that form: the content hash stations compare.

CREATE TABLE definitions (
    election_id INTEGER PRIMARY KEY REFERENCES elections (id),
    canonical TEXT NOT NULL,
    hash TEXT NOT NULL
);
