-- Signed checkpoints over the RFC 9162 Merkle tree of the ledger (leaf i = event seq i+1).
-- `note` is the whole C2SP signed note as served; tree_size and root_hash repeat it for queries.
CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
  root_hash TEXT NOT NULL CHECK (length(root_hash) = 64),
  origin TEXT NOT NULL,
  key_id TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE INDEX checkpoints_size ON checkpoints (tree_size);

-- Hashes of complete, aligned subtrees of 2^level leaves (level >= 8 only), so a root or an
-- audit path reads a few hundred leaves at most. A cache: rebuildable from events.hash, and
-- never part of the evidence; a checkpoint's root is what is signed.
CREATE TABLE merkle_nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
