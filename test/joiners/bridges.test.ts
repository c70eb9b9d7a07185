import { describe, expect, it } from 'vitest';
import { BridgeBook } from '../../src/joiners/bridges.js';

describe('bridge membership', () => {
  it('follows enters and leaves, and forgets an empty bridge', () => {
    const b = new BridgeBook();
    const m = (uniqueid: string, entered: boolean, bridgeId = 'b1') => b.move({ bridgeId, uniqueid, channel: `PJSIP/${uniqueid}`, linkedid: 'L', entered });
    expect([...m('1', true)!.keys()]).toEqual(['1']);
    expect([...m('2', true)!.keys()]).toEqual(['1', '2']);
    expect([...m('1', false)!.keys()]).toEqual(['2']);
    expect(b.size).toBe(1);
    expect(m('2', false)).toBeNull();
    expect(b.size).toBe(0);
    expect(m('9', false, 'unknown')).toBeNull();
  });
});
