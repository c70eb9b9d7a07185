// Entry of worker threads when the service runs from its TypeScript sources (npm start, tests):
// a worker does not inherit the main thread's tsx loader, so it registers its own before it loads
// the real entry, named in workerData.entry. Built code (dist/) loads its .js entries directly.
import { workerData } from 'piscina';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
const entry = await import(workerData.entry);
export default entry.default;
