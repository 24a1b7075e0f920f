// Pure part of src/host/portAttributes.ts: given the effective `remote.portsAttributes` (defaults from
// package.json merged with the user's) and the user's own value, the user value to write so that every
// receiver port is ignored by VS Code's port auto-forwarding, or undefined when nothing needs writing.
// Entries we add carry LEDGER_PORT_LABEL; ours for ports no longer used are removed, others never touched.

export type PortAttributesMap = Record<string, { onAutoForward?: string; label?: string; [k: string]: unknown }>;

export const LEDGER_PORT_LABEL = 'Claude Code Ledger (receiver)';

export function portAttributesUpdate(effective: PortAttributesMap, user: PortAttributesMap | undefined, ports: readonly number[]): PortAttributesMap | undefined {
  const wanted = new Set(ports.map(String));
  const next: PortAttributesMap = { ...(user ?? {}) };
  let changed = false;
  for (const [key, v] of Object.entries(next)) {
    if (v?.label === LEDGER_PORT_LABEL && !wanted.has(key)) {
      delete next[key];
      changed = true;
    }
  }
  for (const port of wanted) {
    // Already ignored (package.json default for 4317/4318, or the user's own entry): leave it.
    if (effective[port]?.onAutoForward === 'ignore' && next[port]?.label !== LEDGER_PORT_LABEL) continue;
    if (next[port]?.label === LEDGER_PORT_LABEL && next[port]?.onAutoForward === 'ignore') continue;
    // The user chose something else for this port explicitly: respect it.
    if (user?.[port] !== undefined && user[port]?.label !== LEDGER_PORT_LABEL) continue;
    next[port] = { label: LEDGER_PORT_LABEL, onAutoForward: 'ignore' };
    changed = true;
  }
  return changed ? next : undefined;
}
