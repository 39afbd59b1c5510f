/**
 * PostgreSQL schema of the bank ledger: the SQLite schema (schema.ts) in PostgreSQL's dialect, with
 * the same keys and checks. `spent.y` and `promises.b_` are primary keys, so two bank processes on
 * one database cannot both spend one proof or both sign one blinded message (NUT-03 / NUT-07),
 * whatever either process does above the database. Amounts are BIGINT (whole units of the unit).
 */
export const PG_SCHEMA_VERSION = 1;

export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keysets (
  id TEXT PRIMARY KEY, unit TEXT NOT NULL, idx INTEGER NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1)), input_fee_ppk INTEGER NOT NULL DEFAULT 0,
  UNIQUE (unit, idx));
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL,
  balance BIGINT NOT NULL CHECK (balance >= 0), created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS account_entries (
  seq BIGSERIAL PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
  delta BIGINT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('deposit', 'mint_quote', 'melt')),
  ref TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS account_entries_account ON account_entries(account_id);
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('swap', 'mint', 'melt')),
  in_total BIGINT NOT NULL, out_total BIGINT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS spent (
  y TEXT PRIMARY KEY, amount BIGINT NOT NULL CHECK (amount > 0),
  keyset_id TEXT NOT NULL REFERENCES keysets(id), op_id TEXT NOT NULL REFERENCES operations(id));
CREATE INDEX IF NOT EXISTS spent_op ON spent(op_id);
CREATE TABLE IF NOT EXISTS promises (
  b_ TEXT PRIMARY KEY, amount BIGINT NOT NULL CHECK (amount > 0),
  keyset_id TEXT NOT NULL REFERENCES keysets(id), c_ TEXT NOT NULL, dleq_e TEXT NOT NULL,
  dleq_s TEXT NOT NULL, op_id TEXT NOT NULL REFERENCES operations(id), pos INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS promises_op ON promises(op_id, pos);
CREATE TABLE IF NOT EXISTS mint_quotes (
  id TEXT PRIMARY KEY, amount BIGINT NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('UNPAID', 'PAID', 'ISSUED')), expiry BIGINT NOT NULL,
  payer TEXT REFERENCES accounts(id), outputs_key TEXT, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS melt_quotes (
  id TEXT PRIMARY KEY, amount BIGINT NOT NULL CHECK (amount > 0), unit TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id), request TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('UNPAID', 'PAID')), expiry BIGINT NOT NULL,
  inputs_key TEXT, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS mint_quotes_state ON mint_quotes(state, payer, expiry);
CREATE INDEX IF NOT EXISTS melt_quotes_state ON melt_quotes(state, expiry);
-- One row: the running totals, and the row every mutating transaction locks first (postgres.ts).
CREATE TABLE IF NOT EXISTS totals (
  id INTEGER PRIMARY KEY CHECK (id = 1), issued BIGINT NOT NULL, spent BIGINT NOT NULL,
  outstanding BIGINT NOT NULL, deposits BIGINT NOT NULL);
INSERT INTO totals (id, issued, spent, outstanding, deposits) VALUES (1, 0, 0, 0, 0) ON CONFLICT DO NOTHING;
`;
