/**
 * SQLite schema of the bank ledger. Amounts are INTEGER (whole units of the keyset unit).
 *
 * Double-spend protection lives here: `spent.y` and `promises.b_` are primary keys, so two racing
 * transactions cannot both spend one proof or both sign one blinded message, whatever the code
 * above does. CHECK constraints keep balances non-negative.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keysets (
  id TEXT PRIMARY KEY, unit TEXT NOT NULL, idx INTEGER NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1)), input_fee_ppk INTEGER NOT NULL DEFAULT 0,
  UNIQUE (unit, idx));
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL,
  balance INTEGER NOT NULL CHECK (balance >= 0), created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS account_entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL REFERENCES accounts(id),
  delta INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('deposit', 'mint_quote', 'melt')),
  ref TEXT NOT NULL, at INTEGER NOT NULL);
-- outputs: the operation's blinded messages (promises.b_) in output order, comma-separated, so a
-- replay (NUT-03/NUT-04 idempotency) finds its signatures by primary key without an index on
-- promises(op_id); NULL for melts and for operations stored before schema version 2.
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('swap', 'mint', 'melt')),
  in_total INTEGER NOT NULL, out_total INTEGER NOT NULL, at INTEGER NOT NULL, outputs TEXT);
CREATE TABLE IF NOT EXISTS spent (
  y TEXT PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0),
  keyset_id TEXT NOT NULL REFERENCES keysets(id), op_id TEXT NOT NULL REFERENCES operations(id)
) WITHOUT ROWID;
-- No index on spent(op_id): only audit() reads spent rows by operation, in one grouped pass. An
-- index keyed by a random hash puts one more random page into every swap's commit (the WAL frames
-- written per group commit are its main cost).
CREATE TABLE IF NOT EXISTS promises (
  b_ TEXT PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0),
  keyset_id TEXT NOT NULL REFERENCES keysets(id), c_ TEXT NOT NULL, dleq_e TEXT NOT NULL,
  dleq_s TEXT NOT NULL, op_id TEXT NOT NULL REFERENCES operations(id), pos INTEGER NOT NULL
) WITHOUT ROWID;
-- No index on promises(op_id) either (operations.outputs above); ledgers of schema version 1 keep
-- theirs for the operations they stored before (MIGRATE_1_TO_2).
CREATE TABLE IF NOT EXISTS mint_quotes (
  id TEXT PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('UNPAID', 'PAID', 'ISSUED')), expiry INTEGER NOT NULL,
  payer TEXT REFERENCES accounts(id), outputs_key TEXT, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS melt_quotes (
  id TEXT PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id), request TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('UNPAID', 'PAID')), expiry INTEGER NOT NULL,
  inputs_key TEXT, created_at INTEGER NOT NULL);
-- The cap on unpaid quotes counts and purges by (state, expiry); these keep that cheap.
CREATE INDEX IF NOT EXISTS mint_quotes_state ON mint_quotes(state, payer, expiry);
CREATE INDEX IF NOT EXISTS melt_quotes_state ON melt_quotes(state, expiry);
CREATE TABLE IF NOT EXISTS totals (
  id INTEGER PRIMARY KEY CHECK (id = 1), issued INTEGER NOT NULL, spent INTEGER NOT NULL,
  outstanding INTEGER NOT NULL, deposits INTEGER NOT NULL);
INSERT OR IGNORE INTO totals (id, issued, spent, outstanding, deposits) VALUES (1, 0, 0, 0, 0);
`;

/**
 * Schema version 1 -> 2: operations.outputs added (NULL for the operations already stored, whose
 * replays keep using promises_op), spent_op dropped (audit() groups instead).
 */
export const MIGRATE_1_TO_2 = `
ALTER TABLE operations ADD COLUMN outputs TEXT;
DROP INDEX IF EXISTS spent_op;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
`;
