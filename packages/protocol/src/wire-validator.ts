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

/** Whether `v` is of `type`, as zod reads it: a number is finite, an integer safe. */
function isOfType(type: NonNullable<WireSchema['type']>, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isSafeInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
  }
}

/** The keywords of a node that look at the value alone. */
type ValueRule = Pick<WireSchema, 'type' | 'const' | 'enum' | 'minLength' | 'maxLength' | 'minimum' | 'maximum' | 'exclusiveMinimum' | 'minItems' | 'maxItems'>;

/** `node`'s value keywords, every rule with the same keys in the same order: one shape for {@link valueIssue} to read. */
function valueRuleOf(node: WireSchema): ValueRule {
  const { type, const: expected, enum: values, minLength, maxLength, minimum, maximum, exclusiveMinimum, minItems, maxItems } = node;
  return { type, const: expected, enum: values, minLength, maxLength, minimum, maximum, exclusiveMinimum, minItems, maxItems };
}

/** Whether `node` has nothing but value keywords: a leaf, which {@link objectCheck} checks in its own loop. */
function isLeaf(node: WireSchema): boolean {
  return node.$ref === undefined && node.items === undefined && node.properties === undefined && typeof node.additionalProperties !== 'object' && node.oneOf === undefined && node.anyOf === undefined && node['x-check'] === undefined;
}

/**
 * What is wrong with `v` under `rule`, or undefined. One function for every leaf rather than
 * a closure per keyword: an object's loop calls it for each of its leaves (most of an event's
 * fields), where it is always the same function.
 */
function valueIssue(rule: ValueRule, v: unknown): Issue | undefined {
  const { type, const: expected, enum: values, minLength, maxLength, minimum, maximum, exclusiveMinimum, minItems, maxItems } = rule;
  if (type !== undefined && !isOfType(type, v)) return issue('invalid_type', { expected: type === 'integer' ? 'int' : type });
  if (expected !== undefined && v !== expected) return issue('invalid_value', { values: [expected] });
  if (values !== undefined && !values.includes(v)) return issue('invalid_value', { values });
  if (minLength !== undefined && (v as string).length < minLength) return issue('too_small', { origin: 'string', minimum: minLength });
  if (maxLength !== undefined && (v as string).length > maxLength) return issue('too_big', { origin: 'string', maximum: maxLength });
  if (minimum !== undefined && (v as number) < minimum) return issue('too_small', { origin: 'number', minimum });
  if (exclusiveMinimum !== undefined && (v as number) <= exclusiveMinimum) return issue('too_small', { origin: 'number', minimum: exclusiveMinimum, inclusive: false });
  if (maximum !== undefined && (v as number) > maximum) return issue('too_big', { origin: 'number', maximum });
  if (minItems !== undefined && (v as unknown[]).length < minItems) return issue('too_small', { origin: 'array', minimum: minItems });
  if (maxItems !== undefined && (v as unknown[]).length > maxItems) return issue('too_big', { origin: 'array', maximum: maxItems });
  return undefined;
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
    const isObject = node.properties !== undefined || typeof node.additionalProperties === 'object';
    // An object's type is tested by its object check, which needs an object to read.
    const rule = valueRuleOf(isObject && node.type === 'object' ? { ...node, type: undefined } : node);
    if (Object.values(rule).some((keyword) => keyword !== undefined)) checks.push((v) => valueIssue(rule, v));
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
    if (isObject) checks.push(objectCheck(node, compileNode));
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
  const fields = Object.entries(node.properties ?? {}).map(([key, schema]) => ({
    key,
    leaf: isLeaf(schema) ? valueRuleOf(schema) : undefined,
    check: compileNode(schema),
    required: required.has(key),
    default: schema.default,
  }));
  const known = new Set(fields.map((field) => field.key));
  const rest = typeof node.additionalProperties === 'object' ? compileNode(node.additionalProperties) : undefined;
  return (v) => {
    if (!isOfType('object', v)) return issue('invalid_type', { expected: 'object' });
    const object = v as Record<string, unknown>;
    for (const field of fields) {
      const value = object[field.key];
      if (value === undefined) {
        if (field.required) return { code: 'invalid_type', path: [field.key], message: 'required', expected: 'value' };
        if (field.default !== undefined) object[field.key] = JSON.parse(JSON.stringify(field.default)) as unknown;
        continue;
      }
      const found = field.leaf === undefined ? field.check(value) : valueIssue(field.leaf, value);
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
    const values = options.map((option) => option.properties?.[key]?.const);
    const checks = options.map(compileNode);
    return (v) => {
      if (typeof v === 'object' && v !== null) {
        const tag = (v as Record<string, unknown>)[key];
        // Compared rather than looked up in a Map: the tag is a fresh string of the parsed frame, which a
        // Map would hash for every frame; the hot ops and event types come first in the list.
        for (let i = 0; i < values.length; i++) if (values[i] === tag) return checks[i]!(v);
      }
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
