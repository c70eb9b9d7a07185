import { describe, expect, it } from 'vitest';
import { holdBody, releaseStep } from '../../../src/console/pages/holds-view.js';

const asked = (tokenId: string) => ({ tokenId, name: tokenId, at: '2026-03-01T10:00:00.000Z', reason: null });

describe('releaseStep: what the signed-in DPO may do about a hold', () => {
  it('asks when nobody has; waits when they asked themselves; approves when another token asked; nothing once released', () => {
    expect(releaseStep({ active: true, releaseRequested: null }, { id: 'a' })).toBe('request');
    expect(releaseStep({ active: true, releaseRequested: asked('a') }, { id: 'a' })).toBe('wait');
    expect(releaseStep({ active: true, releaseRequested: asked('a') }, { id: 'b' })).toBe('approve');
    expect(releaseStep({ active: false, releaseRequested: asked('a') }, { id: 'b' })).toBe('released');
    expect(releaseStep({ active: false, releaseRequested: null }, { id: 'a' })).toBe('released');
  });
});

describe('holdBody: the place-a-hold form as the API body', () => {
  it('puts the one target field where the chosen scope wants it, trimmed', () => {
    expect(holdBody({ scope: 'call', target: ' c-1 ', reason: 'case 7' })).toEqual({ scope: 'call', callId: 'c-1', reason: 'case 7' });
    expect(holdBody({ scope: 'caller', target: '600 100 201', reason: 'r' })).toEqual({ scope: 'caller', callerNumber: '600 100 201', reason: 'r' });
    expect(holdBody({ scope: 'flow', target: 'main', reason: 'r' })).toEqual({ scope: 'flow', flowId: 'main', reason: 'r' });
  });

  it('refuses a missing target or an unknown scope; a missing reason is left to the API to refuse', () => {
    expect(holdBody({ scope: 'call', target: '   ', reason: 'r' })).toBeNull();
    expect(holdBody({ scope: 'everything', target: 'x', reason: 'r' })).toBeNull();
    expect(holdBody({ target: 'x', reason: 'r' })).toBeNull();
    expect(holdBody({ scope: 'flow', target: 'main' })).toEqual({ scope: 'flow', flowId: 'main', reason: '' });
  });
});
