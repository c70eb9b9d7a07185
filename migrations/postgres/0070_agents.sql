-- PostgreSQL port of migrations/sqlite/0070_agents.sql.
-- Employees' monitoring notices (issue 23.3; docs/admin-guide.md, "Parties who join a recorded
-- call"): the registry of agents the DPO keeps. An agent is a pseudonymous id (never a name), the
-- Asterisk interfaces that reach them (a queue member's interface, an endpoint), the language of
-- the notice they hear when they join a call, and when they were informed of call monitoring with
-- which document (version and SHA-256). A call bridged to an agent whose notice is missing or too
-- recent is not recorded from that moment on.
CREATE TABLE agents (
  agent_id TEXT PRIMARY KEY,
  language TEXT NOT NULL,
  -- The day the agent was informed (YYYY-MM-DD); NULL: not informed (yet).
  informed_on TEXT,
  document_version TEXT,
  document_sha256 TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- One interface belongs to one agent: `PJSIP/100`, `Local/agent@agents-ctx` (normalised: no
-- channel suffix, no `/n`).
CREATE TABLE agent_interfaces (
  interface TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents (agent_id)
);
CREATE INDEX agent_interfaces_agent ON agent_interfaces (agent_id);
