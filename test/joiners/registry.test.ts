import { describe, expect, it } from 'vitest';
import { agentProblem, ageInDays, normalizeInterface, noticeVerdict } from '../../src/joiners/registry.js';

const NOW = Date.parse('2026-06-20T23:59:00.000Z');
const notice = (informedOn: string) => ({ notice: { informedOn, documentVersion: '1', documentSha256: 'e'.repeat(64) } });

describe('agents registry rules', () => {
  it('normalises channel names and queue member interfaces to the interface they stand for', () => {
    expect(normalizeInterface('PJSIP/100-0000001a')).toBe('PJSIP/100');
    expect(normalizeInterface('PJSIP/100')).toBe('PJSIP/100');
    expect(normalizeInterface('Local/agent@consentline-test-agent-0000000c;1')).toBe('Local/agent@consentline-test-agent');
    expect(normalizeInterface('Local/agent@consentline-test-agent/n')).toBe('Local/agent@consentline-test-agent');
    expect(normalizeInterface('PJSIP/agent-7-00000003')).toBe('PJSIP/agent-7');
    expect(normalizeInterface('')).toBeNull();
    expect(normalizeInterface('not an interface')).toBeNull();
    expect(normalizeInterface('PJSIP/100\r\nAction: Originate')).toBeNull();
  });

  it('an agent is recorded only when informed at least minDays (whole UTC days) ago', () => {
    expect(ageInDays('2026-06-06', NOW)).toBe(14);
    expect(noticeVerdict(notice('2026-06-06'), NOW, 14)).toEqual({ status: 'ok', informedOn: '2026-06-06', ageDays: 14 });
    expect(noticeVerdict(notice('2026-06-07'), NOW, 14)).toEqual({ status: 'employee_notice_too_recent', informedOn: '2026-06-07', ageDays: 13 });
    expect(noticeVerdict(notice('2026-06-17'), NOW, 14)).toMatchObject({ status: 'employee_notice_too_recent', ageDays: 3 });
    expect(noticeVerdict(notice('2026-06-20'), NOW, 0)).toMatchObject({ status: 'ok', ageDays: 0 });
    expect(noticeVerdict({ notice: null }, NOW, 14)).toEqual({ status: 'employee_notice_missing' });
    expect(noticeVerdict(null, NOW, 14)).toEqual({ status: 'employee_notice_missing' });
  });

  it('refuses names as ids, raw channel names, bad languages and malformed notices', () => {
    const ok = { agentId: 'agent-7', interfaces: ['PJSIP/107'], language: 'pl', notice: notice('2026-06-01').notice };
    expect(agentProblem(ok, '2026-06-20')).toBeNull();
    expect(agentProblem({ ...ok, agentId: 'Anna Nowak' }, '2026-06-20')).toMatch(/pseudonym/);
    expect(agentProblem({ ...ok, interfaces: ['PJSIP/107-00000001'] }, '2026-06-20')).toMatch(/normalised/);
    expect(agentProblem({ ...ok, interfaces: [] }, '2026-06-20')).toMatch(/1 to 20/);
    expect(agentProblem({ ...ok, interfaces: ['PJSIP/1', 'PJSIP/1'] }, '2026-06-20')).toMatch(/once/);
    expect(agentProblem({ ...ok, language: 'Polish' }, '2026-06-20')).toMatch(/language/);
    expect(agentProblem({ ...ok, notice: { ...ok.notice, informedOn: '2026-02-30' } }, '2026-06-20')).toMatch(/day/);
    expect(agentProblem({ ...ok, notice: { ...ok.notice, informedOn: '20260601' } }, '2026-06-20')).toMatch(/day/);
    expect(agentProblem({ ...ok, notice: { ...ok.notice, informedOn: '2026-06-21' } }, '2026-06-20')).toMatch(/future/);
    expect(agentProblem({ ...ok, notice: { ...ok.notice, documentSha256: 'XYZ' } }, '2026-06-20')).toMatch(/sha256/i);
    expect(agentProblem({ ...ok, notice: { ...ok.notice, documentVersion: 'v 1' } }, '2026-06-20')).toMatch(/documentVersion/);
  });
});
