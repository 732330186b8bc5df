/** Appends to audit_log; call it with the transaction that makes the change. */
import type { Db } from "./db/mod.ts";

export interface AuditEntry {
  actorId: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  data?: Record<string, unknown>;
}

export async function audit(tx: Db, entry: AuditEntry): Promise<void> {
  await tx`insert into public.audit_log (actor_id, action, entity, entity_id, data)
           values (${entry.actorId}, ${entry.action}, ${entry.entity}, ${entry.entityId},
                   ${tx.json((entry.data ?? {}) as Parameters<typeof tx.json>[0])})`;
}
