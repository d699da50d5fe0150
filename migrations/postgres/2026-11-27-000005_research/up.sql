-- Research data requests (approved or rejected by a manager) and every release made from them.
CREATE TABLE research_requests (
    id TEXT NOT NULL PRIMARY KEY,
    title TEXT NOT NULL,
    investigator TEXT NOT NULL,
    institution TEXT NOT NULL,
    purpose TEXT NOT NULL,
    irb_approval_id TEXT NOT NULL,
    irb_approval_date TEXT NOT NULL,
    items TEXT NOT NULL,
    selection TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    expires_on TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    history TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX research_requests_owner ON research_requests (created_by, id);

CREATE TABLE research_releases (
    id TEXT NOT NULL PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES research_requests (id),
    kind TEXT NOT NULL,
    items TEXT NOT NULL,
    records BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    released_by TEXT NOT NULL,
    released_at TIMESTAMP NOT NULL
);
CREATE INDEX research_releases_request ON research_releases (request_id, id);
