/** `npm run docs:bundle-vectors`: writes test/fixtures/bundle-vectors/*.json and the vectors block of docs/evidence-bundle-format.md. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleVectors, withVectors } from './bundle-vectors.js';

const dir = fileURLToPath(new URL('../../test/fixtures/bundle-vectors/', import.meta.url));
const doc = fileURLToPath(new URL('../../docs/evidence-bundle-format.md', import.meta.url));
const { bundle, vectors } = await bundleVectors();
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}bundle.json`, `${JSON.stringify(bundle, null, 2)}\n`);
writeFileSync(`${dir}vectors.json`, `${JSON.stringify(vectors, null, 2)}\n`);
writeFileSync(doc, withVectors(readFileSync(doc, 'utf8'), vectors));
process.stdout.write(`wrote ${dir}bundle.json, vectors.json and the vectors of ${doc}\n`);
