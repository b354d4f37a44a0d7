import type { JsonPatchOperation } from './catalog.js';

/** Why a patch could not be applied: the operation's index and what was wrong. */
export class JsonPatchError extends Error {
  override readonly name = 'JsonPatchError';
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`operation ${index}: ${message}`);
  }
}

type Container = Record<string, unknown> | unknown[];

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON Pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function hasKey(container: Container, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(container, key);
}

/** An array index of RFC 6901: digits without a leading zero (or `-`, one past the end, where allowed). */
function arrayIndex(array: unknown[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > array.length || (!forInsert && index === array.length)) throw new Error(`index ${index} is out of bounds`);
  return index;
}

function valueAt(document: unknown, tokens: readonly string[]): unknown {
  let current = document;
  for (const token of tokens) {
    if (Array.isArray(current)) current = current[arrayIndex(current, token, false)];
    else if (isContainer(current) && hasKey(current, token)) current = (current as Record<string, unknown>)[token];
    else throw new Error(`nothing at "/${tokens.join('/')}"`);
  }
  return current;
}

/** A shallow copy of a container, as a new object with no prototype tricks (`__proto__` stays a plain key). */
function copyOf(container: Container): Container {
  if (Array.isArray(container)) return [...container];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(container)) {
    Object.defineProperty(out, key, { value: container[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function setKey(container: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The document with `change` applied to the container at `tokens` (all but the last token
 * of the operation's path), copying each container on the way down and sharing the rest.
 */
function withChange(document: unknown, parent: readonly string[], change: (container: Container) => void): unknown {
  if (!isContainer(document)) throw new Error(`"/${parent.join('/')}" is not an object or array`);
  const copy = copyOf(document);
  const [head, ...rest] = parent;
  if (head === undefined) {
    change(copy);
    return copy;
  }
  if (Array.isArray(copy)) {
    const index = arrayIndex(copy, head, false);
    copy[index] = withChange(copy[index], rest, change);
  } else {
    if (!hasKey(copy, head)) throw new Error(`nothing at "/${parent.join('/')}"`);
    setKey(copy, head, withChange(copy[head], rest, change));
  }
  return copy;
}

function add(document: unknown, tokens: readonly string[], value: unknown): unknown {
  const key = tokens.at(-1);
  if (key === undefined) return value;
  return withChange(document, tokens.slice(0, -1), (container) => {
    if (Array.isArray(container)) container.splice(arrayIndex(container, key, true), 0, value);
    else setKey(container, key, value);
  });
}

function remove(document: unknown, tokens: readonly string[]): unknown {
  const key = tokens.at(-1);
  if (key === undefined) throw new Error('cannot remove the whole document');
  return withChange(document, tokens.slice(0, -1), (container) => {
    if (Array.isArray(container)) container.splice(arrayIndex(container, key, false), 1);
    else if (hasKey(container, key)) delete container[key];
    else throw new Error(`nothing at "/${tokens.join('/')}"`);
  });
}

/**
 * The value at `tokens` (which exists) swapped for `value` where it is: an object's key keeps
 * its place among the others, as with fast-json-patch, so a state shown as text does not
 * reorder as it changes.
 */
function replace(document: unknown, tokens: readonly string[], value: unknown): unknown {
  const key = tokens.at(-1) ?? '';
  return withChange(document, tokens.slice(0, -1), (container) => {
    if (Array.isArray(container)) container[arrayIndex(container, key, false)] = value;
    else setKey(container, key, value);
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => hasKey(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function applyOperation(document: unknown, operation: JsonPatchOperation): unknown {
  const path = parsePointer(operation.path);
  switch (operation.op) {
    case 'add':
      if (operation.value === undefined) throw new Error('add without a value');
      return add(document, path, operation.value);
    case 'remove':
      return remove(document, path);
    case 'replace':
      if (operation.value === undefined) throw new Error('replace without a value');
      valueAt(document, path);
      return path.length === 0 ? operation.value : replace(document, path, operation.value);
    case 'move': {
      const from = parsePointer(operation.from);
      if (path.length > from.length && from.every((token, i) => token === path[i])) throw new Error('cannot move a value into itself');
      const value = valueAt(document, from);
      return from.length === path.length && from.every((token, i) => token === path[i]) ? document : add(remove(document, from), path, value);
    }
    case 'copy':
      return add(document, path, valueAt(document, parsePointer(operation.from)));
    case 'test':
      if (!deepEqual(valueAt(document, path), operation.value)) throw new Error(`test failed at "${operation.path}"`);
      return document;
    default:
      // Only reachable with a patch that skipped the schema.
      throw new Error(`unknown op "${String((operation as { op: unknown }).op)}"`);
  }
}

/**
 * Applies an RFC 6902 JSON Patch and returns the new document; `document` is not changed
 * (containers on the changed paths are copied, the rest is shared). All or nothing: an
 * operation that fails throws a {@link JsonPatchError} and no partial result escapes.
 * Small on purpose: it ships in the browser with the run-snapshot reducer.
 * @throws JsonPatchError
 */
export function applyJsonPatch(document: unknown, patch: readonly JsonPatchOperation[]): unknown {
  let current = document;
  patch.forEach((operation, index) => {
    try {
      current = applyOperation(current, operation);
    } catch (error) {
      throw new JsonPatchError(index, (error as Error).message);
    }
  });
  return current;
}
