import { KV_KEYS } from "./schema";

/**
 * An object learns its name from the stub that called it (`ctx.id.name`), but
 * not when the platform wakes it for an alarm: so the name is stored on the
 * first named call and read back when absent.
 */
export function ownName(ctx: DurableObjectState): string {
  const given = ctx.id.name;
  const stored = ctx.storage.kv.get<string>(KV_KEYS.name);
  if (given !== undefined) {
    if (stored !== given) ctx.storage.kv.put(KV_KEYS.name, given);
    return given;
  }
  return stored ?? ctx.id.toString();
}
