import { z } from 'zod';
import type { AgentRegistry, DpoActor } from '../../joiners/agents.js';
import { AGENT_ID_PATTERN, type Agent } from '../../joiners/registry.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { subjectPseudonym } from './recording-control.js';

const noticeSchema = z
  .strictObject({
    informedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('the day the agent was informed of call monitoring (YYYY-MM-DD)'),
    documentVersion: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).describe('version of the document the agent received'),
    documentSha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of that document (hex)'),
  })
  .describe("the agent's monitoring notice");
const verdictSchema = z
  .object({
    status: z.enum(['ok', 'employee_notice_missing', 'employee_notice_too_recent']),
    informedOn: z.string().optional(),
    ageDays: z.number().int().optional(),
  })
  .describe('whether a call bridged to this agent is recorded today');
const agentSchema = z.object({
  agentId: z.string(),
  interfaces: z.array(z.string()),
  language: z.string().describe("the language of the notice the agent hears when joining a call"),
  notice: noticeSchema.nullable(),
  recordable: verdictSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
const agentIdParams = z.strictObject({ agentId: z.string().regex(AGENT_ID_PATTERN, 'must be a pseudonymous agent id: 3-64 lower-case letters, digits, dashes') });
const NOT_FOUND = [404, 'not_found', 'no such agent'] as const;

/**
 * The agents registry for the DPO (issue 23.3): each agent's interfaces, the notice language, and
 * when they were informed of call monitoring with which document. A call bridged to an agent whose
 * notice is missing or younger than `recordings.joiners.employeeNoticeMinDays` is not recorded from
 * the moment they join. Every change is written to the ledger (`agent.registered`, `agent.removed`).
 */
export function agentRoutes(deps: { readonly agents: AgentRegistry; readonly pepper: string }) {
  const view = (a: Agent) => ({ ...a, interfaces: [...a.interfaces], recordable: deps.agents.verdict(a) });
  const actor = (p: { id: string; role: string; subject: string } | null | undefined): DpoActor => {
    if (!p) throw new ApiError('unauthorized');
    return { tokenId: p.id, role: p.role, subjectRef: subjectPseudonym(deps.pepper, p.subject) };
  };
  return async (app: ApiInstance) => {
    app.get(
      '/agents',
      {
        config: { role: 'dpo' },
        schema: {
          summary: "The agents registry: interfaces, notice language, monitoring notices and whether each may be recorded today",
          tags: ['agents'],
          response: { 200: z.object({ minDays: z.number().int().describe('recordings.joiners.employeeNoticeMinDays'), agents: z.array(agentSchema) }) },
        },
      },
      async () => ({ minDays: deps.agents.minDays, agents: (await deps.agents.list()).map(view) }),
    );

    app.get(
      '/agents/:agentId',
      { config: { role: 'dpo' }, schema: { summary: 'One agent of the registry', tags: ['agents'], params: agentIdParams, response: { 200: agentSchema, ...errorResponses(NOT_FOUND) } } },
      async (request) => {
        const a = await deps.agents.get(request.params.agentId);
        if (!a) throw new ApiError('not_found', 'no such agent');
        return view(a);
      },
    );

    app.put(
      '/agents/:agentId',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Create or replace an agent: interfaces, notice language and monitoring notice (recorded in the ledger)',
          tags: ['agents'],
          params: agentIdParams,
          body: z.strictObject({
            interfaces: z.array(z.string().min(1).max(120)).min(1).max(20).describe('Asterisk interfaces that reach the agent: a queue member (`PJSIP/100`, `Local/100@agents`) or endpoint'),
            language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/).optional().describe('default: recordings.joiners.defaultLanguage'),
            notice: noticeSchema.nullable().describe('null: not informed yet (the agent is then not recorded)'),
          }),
          response: { 200: agentSchema, 201: agentSchema, ...errorResponses([400, 'bad_request', 'the entry is not valid'], 'interface_taken') },
        },
      },
      async (request, reply) => {
        const { interfaces, language, notice } = request.body;
        const out = await deps.agents.set({ agentId: request.params.agentId, interfaces, language: language ?? deps.agents.defaultLanguage, notice }, actor(request.principal));
        if (out.status === 'invalid') throw new ApiError('bad_request', out.problem);
        if (out.status === 'interface_taken') throw new ApiError('interface_taken', `interface ${out.interface} belongs to agent ${out.agentId}`);
        return reply.status(out.status === 'created' ? 201 : 200).send(view(out.agent));
      },
    );

    app.delete(
      '/agents/:agentId',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Remove an agent (recorded in the ledger); calls bridged to their interfaces are then not recorded',
          tags: ['agents'],
          params: agentIdParams,
          response: { 200: z.object({ agentId: z.string(), removed: z.literal(true) }), ...errorResponses(NOT_FOUND) },
        },
      },
      async (request) => {
        if (!(await deps.agents.remove(request.params.agentId, actor(request.principal)))) throw new ApiError('not_found', 'no such agent');
        return { agentId: request.params.agentId, removed: true as const };
      },
    );
  };
}
