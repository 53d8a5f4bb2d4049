-- Transfer requests read as a file (issue 15 item 6; tc-store/src/transfers.rs,
-- tongchou_app::transfer::requests): each line of another province's request file that was
-- transferred out, with the transfer it made. The file itself is an `imports` row (kind
-- 'transfer-requests', its SHA-256): the same file again changes nothing. A request number of
-- a receiving province is handled once, whatever file carries it.

CREATE TABLE IF NOT EXISTS transfer_requests (
    import_id     BIGINT NOT NULL,
    row_no        BIGINT NOT NULL,
    to_province   INTEGER NOT NULL,
    request_no    TEXT NOT NULL,
    transfer_id   BIGINT NOT NULL UNIQUE,
    to_agency     TEXT NOT NULL,
    account_name  TEXT,
    account       TEXT,
    cnaps         TEXT,
    PRIMARY KEY (import_id, row_no),
    CONSTRAINT transfer_requests_once UNIQUE (to_province, request_no)
);
