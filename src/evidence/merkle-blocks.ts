import { hash } from 'node:crypto';

/**
 * Hashes a stream of leaves (events' hex chain hashes) into complete subtrees of `blockSize`
 * (a power of two) leaves, RFC 9162 style: leaf = SHA-256(0x00 ‖ 32 bytes), node =
 * SHA-256(0x01 ‖ left ‖ right). Memory is one pending node per level besides the output.
 */
export class BlockHasher {
  // Digests as 'binary' (latin1) strings, one character per byte: node:crypto writes a string for a
  // fraction of what a Buffer costs it, and a string is written back into the input as cheaply.
  readonly #stack: string[] = [];
  readonly #counts: number[] = [];
  readonly #leaf = Buffer.alloc(33);
  readonly #node = Buffer.alloc(65);
  readonly #out: Buffer;
  #filled = 0;

  constructor(readonly blockSize: number, blocks: number) {
    this.#out = Buffer.alloc(32 * Math.max(0, blocks));
    this.#node[0] = 1;
  }

  /** `hex` is a checked 64-hex-digit chain hash. */
  push(hex: string): void {
    this.#leaf.write(hex, 1, 32, 'hex');
    let h = hash('sha256', this.#leaf, 'binary');
    let n = 1;
    while (this.#counts.length > 0 && this.#counts[this.#counts.length - 1] === n) {
      this.#counts.pop();
      this.#node.write(this.#stack.pop()!, 1, 32, 'binary');
      this.#node.write(h, 33, 32, 'binary');
      h = hash('sha256', this.#node, 'binary');
      n *= 2;
    }
    if (n === this.blockSize) {
      this.#out.write(h, 32 * this.#filled++, 32, 'binary');
    } else {
      this.#stack.push(h);
      this.#counts.push(n);
    }
  }

  blocks(): Uint8Array {
    return this.#out.subarray(0, 32 * this.#filled);
  }
}
