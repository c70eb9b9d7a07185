import type { Checkpoint } from './checkpoint.js';

/** A `checkpoints` row as both engines return it. */
export interface CheckpointRow {
  id: number;
  tree_size: number;
  root_hash: string;
  origin: string;
  key_id: string;
  note: string;
  created_at: string;
}

export const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  id: r.id,
  treeSize: r.tree_size,
  rootHash: r.root_hash,
  origin: r.origin,
  keyId: r.key_id,
  note: r.note,
  createdAt: r.created_at,
});
