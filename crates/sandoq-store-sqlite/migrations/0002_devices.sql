-- Station devices and the nonces they have used (replay protection).

CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('check_in_desk', 'ballot_box')),
    public_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked'))
);

CREATE TABLE device_nonces (
    device_id INTEGER NOT NULL REFERENCES devices (id),
    nonce TEXT NOT NULL,
    PRIMARY KEY (device_id, nonce)
) WITHOUT ROWID;
