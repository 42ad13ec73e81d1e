-- SQL that produced the pgoutput captures in this folder (capture_proto{1,2}_{text,binary}.bin).
-- tests/codecs/pgoutput_capture_test.cpp runs it against PostgreSQL 15: the setup part, then
-- creates one temporary logical slot per capture, then the workload part, then streams each
-- slot until the final 'capture_end' message. Rules for this file: one statement per
-- line-ending ';', no ';' inside a statement, '--' comments on their own lines.
-- The walsender sessions run SET logical_decoding_work_mem = '64kB', so that the large
-- transactions below are streamed (protocol 2, streaming 'on').

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
-- REPLICA IDENTITY DEFAULT (primary key); `note` is kept out of line, uncompressed.
CREATE TABLE items (id int PRIMARY KEY, name text, qty int, note text);
ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL;
-- REPLICA IDENTITY FULL, no key.
CREATE TABLE audit (id int, who text, amount numeric(10,2), at timestamptz);
ALTER TABLE audit REPLICA IDENTITY FULL;
CREATE TABLE moods (id int PRIMARY KEY, m mood);
CREATE TABLE bulk (id int PRIMARY KEY, payload text);
CREATE PUBLICATION p FOR ALL TABLES;

-- @workload
INSERT INTO items VALUES (1, 'apple', 10, NULL), (2, 'pear', 5, NULL);
-- 3200 bytes of md5 hex, stored EXTERNAL: an on-disk TOAST value.
INSERT INTO items VALUES (3, 'big', 1, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100) i));
-- The TOAST value is not touched: it arrives as 'u' (unchanged).
UPDATE items SET qty = qty + 1 WHERE id = 3;
UPDATE items SET name = 'green apple' WHERE id = 1;
-- Primary-key change: Update with a 'K' old key tuple.
UPDATE items SET id = 20 WHERE id = 2;
DELETE FROM items WHERE id = 1;
INSERT INTO audit VALUES (1, 'alice', 12.50, '2024-01-01 10:00:00+00'), (2, 'bob', NULL, '2024-02-29 23:59:59.123456+00');
-- REPLICA IDENTITY FULL: 'O' old tuples.
UPDATE audit SET amount = 99.99 WHERE id = 1;
DELETE FROM audit WHERE id = 2;
INSERT INTO moods VALUES (1, 'happy'), (2, NULL);
BEGIN;
INSERT INTO items VALUES (4, 'in txn', 1, NULL);
SELECT pg_logical_emit_message(true, 'capture', 'transactional');
COMMIT;
SELECT pg_logical_emit_message(false, 'capture', 'non-transactional');
-- Schema change mid-stream: a second Relation message for items.
ALTER TABLE items ADD COLUMN color text DEFAULT 'red';
INSERT INTO items (id, name, qty, color) VALUES (30, 'after alter', 3, 'blue');
UPDATE items SET qty = 0 WHERE id = 20;
TRUNCATE audit;
TRUNCATE moods, bulk RESTART IDENTITY CASCADE;
-- A large transaction (streamed with protocol 2) with an aborted subtransaction.
BEGIN;
INSERT INTO bulk SELECT i, 'row ' || i FROM generate_series(1, 600) i;
SAVEPOINT s1;
INSERT INTO bulk SELECT i, 'gone ' || i FROM generate_series(1001, 1500) i;
ROLLBACK TO SAVEPOINT s1;
UPDATE bulk SET payload = 'updated' WHERE id <= 10;
COMMIT;
-- A large transaction that aborts (Stream Abort of the whole transaction).
BEGIN;
INSERT INTO bulk SELECT i, 'aborted ' || i FROM generate_series(2001, 2500) i;
ROLLBACK;
SELECT pg_logical_emit_message(false, 'capture_end', '');
