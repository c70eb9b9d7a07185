/** vitest globalSetup: fails the run when a test wrote into the host's Asterisk dirs (issue 19.6). */
import { describeChanges, snapshotDirs, SYSTEM_DIRS } from './system-dirs.js';

export default function setup(): () => void {
  const before = snapshotDirs(SYSTEM_DIRS);
  return () => {
    const changes = describeChanges(before, snapshotDirs(SYSTEM_DIRS));
    if (changes.length > 0) {
      process.exitCode = 1;
      throw new Error(`tests wrote outside their temp dirs (write only under mkdtemp):\n  ${changes.slice(0, 20).join('\n  ')}`);
    }
  };
}
