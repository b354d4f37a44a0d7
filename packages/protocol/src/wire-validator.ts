import { idProblem } from './id-rule.js';
import type { ValidationIssue } from './validation-errors.js';

/**
 * The JSON Schema keywords of the wire schemas (wire-schema.ts, generated from the zod
 * schemas by scripts/wire-schema.ts), plus `x-check`: a rule of ours that JSON Schema cannot
 * say, by name (`id`: {@link idProblem}; `depth`: {@link depthProblem}).
 */
export interface WireSchema {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array';
  const?: unknown;
  enum?: readonly unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  items?: WireSchema;
  properties?: Readonly<Record<string, WireSchema>>;
  required?: readonly string[];
  /** A schema for the other keys (a record); `false` is read as zod reads its objects: other keys pass. */
  additionalProperties?: WireSchema | boolean;
  anyOf?: readonly WireSchema[];
  oneOf?: readonly WireSchema[];
  $ref?: string;
  $defs?: Readonly<Record<string, WireSchema>>;
  /** Filled in where the property is missing, as zod's `.default()` does. */
  default?: unknown;
  'x-check'?: 'id' | 'depth';
}

/**
 * Deepest nesting of arrays and objects a client may send in `run.input`. Deeper
 * values would overflow the stack of the recursive walks an event goes through
 * (redaction, truncation, JSON) and end the run before `agent_started`.
 */
export const MAX_INPUT_DEPTH = 64;

/** What is wrong with a value nested deeper than {@link MAX_INPUT_DEPTH} levels, or undefined; without recursion (a hostile value cannot overflow the stack here). */
export function depthProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return `is nested deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** An issue in zod's shape, so that `describeValidationError` words it as it words zod's. */
type Issue = ValidationIssue & { path: PropertyKey[]; [detail: string]: unknown };
/** Checks one value; undefined when it is valid. May fill in defaults. */
type Check = (value: unknown) => Issue | undefined;

const issue = (code: string, details: Record<string, unknown> = {}): Issue => ({ code, path: [], message: code, ...details });

function at(key: PropertyKey, found: Issue | undefined): Issue | undefined {
  found?.path.unshift(key);
  return found;
}

const TYPE_CHECKS: Record<NonNullable<WireSchema['type']>, Check> = {
  string: (v) => (typeof v === 'string' ? undefined : issue('invalid_type', { expected: 'string' })),
  number: (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : issue('invalid_type', { expected: 'number' })),
  integer: (v) => (Number.isSafeInteger(v) ? undefined : issue('invalid_type', { expected: 'int' })),
  boolean: (v) => (typeof v === 'boolean' ? undefined : issue('invalid_type', { expected: 'boolean' })),
  null: (v) => (v === null ? undefined : issue('invalid_type', { expected: 'null' })),
  object: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : issue('invalid_type', { expected: 'object' })),
  array: (v) => (Array.isArray(v) ? undefined : issue('invalid_type', { expected: 'array' })),
};

function bounds(node: WireSchema): Check[] {
  const checks: Check[] = [];
  const { minLength, maxLength, minimum, maximum, exclusiveMinimum, minItems, maxItems } = node;
  if (minLength !== undefined) checks.push((v) => ((v as string).length < minLength ? issue('too_small', { origin: 'string', minimum: minLength }) : undefined));
  if (maxLength !== undefined) checks.push((v) => ((v as string).length > maxLength ? issue('too_big', { origin: 'string', maximum: maxLength }) : undefined));
  if (minimum !== undefined) checks.push((v) => ((v as number) < minimum ? issue('too_small', { origin: 'number', minimum }) : undefined));
  if (exclusiveMinimum !== undefined) {
    checks.push((v) => ((v as number) <= exclusiveMinimum ? issue('too_small', { origin: 'number', minimum: exclusiveMinimum, inclusive: false }) : undefined));
  }
  if (maximum !== undefined) checks.push((v) => ((v as number) > maximum ? issue('too_big', { origin: 'number', maximum }) : undefined));
  if (minItems !== undefined) checks.push((v) => ((v as unknown[]).length < minItems ? issue('too_small', { origin: 'array', minimum: minItems }) : undefined));
  if (maxItems !== undefined) checks.push((v) => ((v as unknown[]).length > maxItems ? issue('too_big', { origin: 'array', maximum: maxItems }) : undefined));
  return checks;
}

/** The key every option pins with a `const` (zod's discriminated union), or undefined. */
function discriminatorOf(options: readonly WireSchema[]): string | undefined {
  const keys = Object.keys(options[0]?.properties ?? {}).filter((key) => options[0]?.properties?.[key]?.const !== undefined);
  return keys.find((key) => options.every((option) => option.properties?.[key]?.const !== undefined));
}

/** Compiles `root` once into checking functions: the hot path allocates nothing for a valid value. */
function compile(root: WireSchema): Check {
  const defs = new Map<string, Check>();
  const compileNode = (node: WireSchema): Check => {
    if (node.$ref !== undefined) {
      const name = node.$ref.slice('#/$defs/'.length);
      return (v) => defs.get(name)!(v);
    }
    const checks: Check[] = [];
    if (node.type !== undefined) checks.push(TYPE_CHECKS[node.type]);
    if (node.const !== undefined) {
      const expected = node.const;
      checks.push((v) => (v === expected ? undefined : issue('invalid_value', { values: [expected] })));
    }
    if (node.enum !== undefined) {
      const values = node.enum;
      checks.push((v) => (values.includes(v) ? undefined : issue('invalid_value', { values })));
    }
    checks.push(...bounds(node));
    if (node.items !== undefined) {
      const item = compileNode(node.items);
      checks.push((v) => {
        const array = v as unknown[];
        for (let i = 0; i < array.length; i++) {
          const found = item(array[i]);
          if (found) return at(i, found);
        }
        return undefined;
      });
    }
    if (node.properties !== undefined || typeof node.additionalProperties === 'object') checks.push(objectCheck(node, compileNode));
    const union = node.oneOf ?? node.anyOf;
    if (union !== undefined) checks.push(unionCheck(union, compileNode));
    if (node['x-check'] !== undefined) {
      const problemOf = node['x-check'] === 'id' ? idProblem : depthProblem;
      checks.push((v) => {
        const message = problemOf(v);
        return message === undefined ? undefined : { code: 'custom', path: [], message };
      });
    }
    if (checks.length === 1) return checks[0]!;
    return (v) => {
      for (const check of checks) {
        const found = check(v);
        if (found) return found;
      }
      return undefined;
    };
  };
  for (const [name, node] of Object.entries(root.$defs ?? {})) defs.set(name, compileNode(node));
  return compileNode(root);
}

function objectCheck(node: WireSchema, compileNode: (node: WireSchema) => Check): Check {
  const required = new Set(node.required);
  const fields = Object.entries(node.properties ?? {}).map(([key, schema]) => ({ key, check: compileNode(schema), required: required.has(key), default: schema.default }));
  const known = new Set(fields.map((field) => field.key));
  const rest = typeof node.additionalProperties === 'object' ? compileNode(node.additionalProperties) : undefined;
  return (v) => {
    const object = v as Record<string, unknown>;
    for (const field of fields) {
      const value = object[field.key];
      if (value === undefined) {
        if (field.required) return { code: 'invalid_type', path: [field.key], message: 'required', expected: 'value' };
        if (field.default !== undefined) object[field.key] = JSON.parse(JSON.stringify(field.default)) as unknown;
        continue;
      }
      const found = field.check(value);
      if (found) return at(field.key, found);
    }
    if (rest) {
      for (const key of Object.keys(object)) {
        if (known.has(key)) continue;
        const found = rest(object[key]);
        if (found) return at(key, found);
      }
    }
    return undefined;
  };
}

function unionCheck(options: readonly WireSchema[], compileNode: (node: WireSchema) => Check): Check {
  const key = discriminatorOf(options);
  if (key !== undefined) {
    const byValue = new Map(options.map((option) => [option.properties?.[key]?.const, compileNode(option)]));
    const values = [...byValue.keys()];
    return (v) => {
      const check = typeof v === 'object' && v !== null ? byValue.get((v as Record<string, unknown>)[key]) : undefined;
      if (check) return check(v);
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? { code: 'invalid_union', path: [key], message: 'invalid_union', options: values } : issue('invalid_type', { expected: 'object' });
    };
  }
  const checks = options.map(compileNode);
  return (v) => {
    const errors: Issue[] = [];
    for (const check of checks) {
      const found = check(v);
      if (!found) return undefined;
      errors.push(found);
    }
    // As zod: when the value is of one option's type only, that option's issue is the one to tell.
    const typed = errors.filter((found) => !(found.code === 'invalid_type' && found.path.length === 0));
    return typed.length === 1 ? typed[0] : issue('invalid_union', { errors: errors.map((found) => [found]) });
  };
}

/**
 * A validator of `schema`: undefined for a valid value, or its first issue, in the shape
 * `describeValidationError` words. Compiled on first use. Unlike zod, it keeps keys the
 * schema does not name (a newer server's fields reach the caller as they came).
 */
export function wireValidator(schema: WireSchema): (value: unknown) => ValidationIssue | undefined {
  let check: Check | undefined;
  return (value) => (check ??= compile(schema))(value);
}
