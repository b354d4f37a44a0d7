import { PositionSchema, type Position } from 'agentwire-protocol';
import { readStorage, writeStorage } from './identity.js';

/**
 * Keeps the client's stream position in sessionStorage (per tab, per user), so a
 * reload of the tab continues the same stream instead of starting from "now".
 */
export interface PositionStore {
  load(): Position | undefined;
  save(position: Position): void;
}

export function sessionPositionStore(userId: string, storage: Storage | undefined): PositionStore {
  const key = `agentwire:position:${userId}`;
  return {
    load() {
      const text = readStorage(storage, key);
      if (text === undefined) return undefined;
      try {
        const parsed = PositionSchema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    save(position) {
      writeStorage(storage, key, JSON.stringify(position));
    },
  };
}
