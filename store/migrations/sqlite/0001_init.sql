-- syncops schema v1 (SQLite). Times are unix milliseconds (BIGINT) on both
-- databases so that comparisons and ordering behave the same everywhere;
-- remote "updatedAt" values keep the unit the API uses (unix seconds).

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,          -- the River job id
    type          TEXT    NOT NULL,
    params        TEXT    NOT NULL DEFAULT '{}',
    unique_key    TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    total         INTEGER NOT NULL DEFAULT 0,
    processed     INTEGER NOT NULL DEFAULT 0,
    successful    INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    metadata      TEXT    NOT NULL DEFAULT '{}',
    error         TEXT    NOT NULL DEFAULT '',
    checkpoint    TEXT,
    attempt       INTEGER NOT NULL DEFAULT 0,
    retry_of      INTEGER,
    requested_by  TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    started_at    BIGINT,
    completed_at  BIGINT,
    updated_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX jobs_active_unique ON jobs (unique_key) WHERE status IN ('PENDING', 'RUNNING');
CREATE INDEX jobs_type_created ON jobs (type, created_at);
CREATE INDEX jobs_status_created ON jobs (status, created_at);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_updated ON jobs (updated_at);

CREATE TABLE job_attempts (
    job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT,
    outcome      TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE job_failed_items (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    item_key     TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    error_class  TEXT    NOT NULL,
    request      TEXT    NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (job_id, item_key)
);

CREATE TABLE nhanh_customers (
    nhanh_id          BIGINT  PRIMARY KEY,
    customer_type     INTEGER NOT NULL DEFAULT 0,
    name              TEXT    NOT NULL DEFAULT '',
    mobile            TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    city              TEXT    NOT NULL DEFAULT '',
    total_amount      REAL    NOT NULL DEFAULT 0,
    last_bought_date  TEXT    NOT NULL DEFAULT '',
    remote_updated_at BIGINT  NOT NULL DEFAULT 0,
    deleted_at        BIGINT,
    pulled_at         BIGINT  NOT NULL
);
CREATE INDEX nhanh_customers_mobile ON nhanh_customers (mobile);

CREATE TABLE shopify_customers (
    gid                    TEXT    PRIMARY KEY,
    first_name             TEXT    NOT NULL DEFAULT '',
    last_name              TEXT    NOT NULL DEFAULT '',
    email                  TEXT    NOT NULL DEFAULT '',
    phone                  TEXT    NOT NULL DEFAULT '',
    default_address_phone  TEXT    NOT NULL DEFAULT '',
    note                   TEXT    NOT NULL DEFAULT '',
    number_of_orders       BIGINT  NOT NULL DEFAULT 0,
    amount_spent           TEXT    NOT NULL DEFAULT '',
    remote_updated_at      BIGINT  NOT NULL DEFAULT 0,
    deleted_at             BIGINT,
    pulled_at              BIGINT  NOT NULL
);

CREATE TABLE nhanh_products (
    nhanh_id          BIGINT  PRIMARY KEY,
    code              TEXT    NOT NULL DEFAULT '',
    barcode           TEXT    NOT NULL DEFAULT '',
    name              TEXT    NOT NULL DEFAULT '',
    price             REAL    NOT NULL DEFAULT 0,
    status            INTEGER NOT NULL DEFAULT 0,
    available         BIGINT  NOT NULL DEFAULT 0,
    depots            TEXT    NOT NULL DEFAULT '{}',
    remote_updated_at BIGINT  NOT NULL DEFAULT 0,
    deleted_at        BIGINT,
    pulled_at         BIGINT  NOT NULL
);

CREATE TABLE shopify_variants (
    gid                 TEXT   PRIMARY KEY,
    product_gid         TEXT   NOT NULL DEFAULT '',
    product_title       TEXT   NOT NULL DEFAULT '',
    title               TEXT   NOT NULL DEFAULT '',
    sku                 TEXT   NOT NULL DEFAULT '',
    barcode             TEXT   NOT NULL DEFAULT '',
    product_status      TEXT   NOT NULL DEFAULT '',
    inventory_item_gid  TEXT   NOT NULL DEFAULT '',
    remote_updated_at   BIGINT NOT NULL DEFAULT 0,
    deleted_at          BIGINT,
    pulled_at           BIGINT NOT NULL
);

CREATE TABLE customer_mappings (
    id                    INTEGER PRIMARY KEY,
    nhanh_customer_id     BIGINT  NOT NULL UNIQUE,
    shopify_customer_gid  TEXT    UNIQUE,
    status                TEXT    NOT NULL,
    match_method          TEXT    NOT NULL DEFAULT '',
    last_synced_value     BIGINT,
    last_synced_at        BIGINT,
    sync_error            TEXT    NOT NULL DEFAULT '',
    sync_attempts         INTEGER NOT NULL DEFAULT 0,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX customer_mappings_status ON customer_mappings (status);

CREATE TABLE product_mappings (
    id                   INTEGER PRIMARY KEY,
    nhanh_product_id     BIGINT  NOT NULL UNIQUE,
    shopify_variant_gid  TEXT    UNIQUE,
    inventory_item_gid   TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL,
    match_method         TEXT    NOT NULL DEFAULT '',
    last_synced_value    TEXT,
    last_synced_at       BIGINT,
    sync_error           TEXT    NOT NULL DEFAULT '',
    sync_attempts        INTEGER NOT NULL DEFAULT 0,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX product_mappings_status ON product_mappings (status);

CREATE TABLE pull_cursors (
    stream        TEXT    PRIMARY KEY,
    cursor        TEXT,
    state         TEXT    NOT NULL,
    total_pulled  BIGINT  NOT NULL DEFAULT 0,
    job_id        BIGINT,
    started_at    BIGINT,
    updated_at    BIGINT  NOT NULL,
    completed_at  BIGINT
);

CREATE TABLE watermarks (
    name        TEXT   PRIMARY KEY,
    value       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE sync_log (
    id            INTEGER PRIMARY KEY,
    job_id        BIGINT,
    mapping_kind  TEXT    NOT NULL,
    mapping_id    BIGINT  NOT NULL,
    target        TEXT    NOT NULL DEFAULT '',
    old_value     TEXT,
    new_value     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    message       TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL
);
CREATE INDEX sync_log_mapping ON sync_log (mapping_kind, mapping_id, created_at);
CREATE INDEX sync_log_job ON sync_log (job_id);

CREATE TABLE schedules (
    job_type     TEXT    PRIMARY KEY,
    cron         TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    params       TEXT    NOT NULL DEFAULT '{}',
    updated_by   TEXT    NOT NULL DEFAULT '',
    updated_at   BIGINT  NOT NULL,
    revision     BIGINT  NOT NULL DEFAULT 1 -- +1 on every write: schedulers poll SUM(revision)
);

CREATE TABLE location_mappings (
    nhanh_depot_id         BIGINT PRIMARY KEY,
    nhanh_depot_name       TEXT   NOT NULL DEFAULT '',
    shopify_location_gid   TEXT   NOT NULL,
    shopify_location_name  TEXT   NOT NULL DEFAULT '',
    created_at             BIGINT NOT NULL
);

CREATE TABLE settings (
    key         TEXT   PRIMARY KEY,
    value       TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    job_id      BIGINT,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
