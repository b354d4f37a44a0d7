import { el } from './element.js';

type Schema = Readonly<Record<string, unknown>>;

/** What a field holds: a value to send, nothing (left empty: the key is left out), or why it cannot be read. */
type FieldValue = { value: unknown } | { empty: true } | { problem: string };

/** Numbers the fields of every form on the page, so each label names its own control. */
let fieldCount = 0;

interface Field {
  readonly name: string;
  read(): FieldValue;
}

/**
 * The fields of a `form` request (docs/protocol.md §10), generated from its JSON Schema:
 * a property with `enum` is a select, `boolean` a checkbox, `number`/`integer` a number
 * box, `string` a text box, and anything else (objects, arrays, untyped) a JSON box. A
 * schema that is not an object with `properties` is answered as one JSON box.
 *
 * Required properties are marked, not checked here: the server checks the answer against
 * the schema (ajv), and its `invalid_response` message is shown under the form. A field
 * left empty leaves its key out, so "required" reads as the server's message about it.
 */
export class SchemaForm {
  readonly element: HTMLDivElement;
  readonly #fields: Field[] = [];
  /** Set when the schema is not an object with properties: the whole value is one JSON box. */
  readonly #whole: Field | undefined;

  constructor(schema: Schema) {
    this.element = el('div', { className: 'schema-form' });
    const properties = isSchema(schema.properties) ? schema.properties : undefined;
    if (properties === undefined || (schema.type !== undefined && schema.type !== 'object')) this.#whole = this.#add('value', {}, true);
    else {
      const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
      for (const [name, property] of Object.entries(properties)) this.#add(name, isSchema(property) ? property : {}, required.has(name));
    }
  }

  /** The answer the fields make, or why it cannot be made (a JSON box that does not parse). */
  read(): { value: Record<string, unknown> } | { problem: string } {
    if (this.#whole) {
      const read = this.#whole.read();
      if ('problem' in read) return read;
      return { value: ('value' in read ? read.value : {}) as Record<string, unknown> };
    }
    const value: Record<string, unknown> = {};
    for (const field of this.#fields) {
      const read = field.read();
      if ('problem' in read) return { problem: `${field.name}: ${read.problem}` };
      if ('value' in read) value[field.name] = read.value;
    }
    return { value };
  }

  /** Enables or disables every control (while an answer is on its way, or once resolved). */
  set disabled(disabled: boolean) {
    for (const control of this.element.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')) {
      control.disabled = disabled;
    }
  }

  #add(name: string, property: Schema, required: boolean): Field {
    const id = `form-field-${++fieldCount}`;
    const { control, read } = controlFor(property, id);
    const title = typeof property.title === 'string' ? property.title : name;
    const label = el('label', { className: 'field-label', attrs: { for: id } }, title);
    if (required) {
      label.append(el('span', { className: 'field-required', text: ' *', attrs: { title: 'required' } }));
      control.setAttribute('aria-required', 'true');
    }
    const row = el('div', { className: `field field-${control instanceof HTMLInputElement && control.type === 'checkbox' ? 'check' : 'box'}`, attrs: { 'data-testid': 'form-field', 'data-field': name } });
    row.append(label, control);
    if (typeof property.description === 'string') row.append(el('div', { className: 'field-hint', text: property.description }));
    this.element.append(row);
    const field = { name, read };
    this.#fields.push(field);
    return field;
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function controlFor(property: Schema, id: string): { control: HTMLElement; read: () => FieldValue } {
  const initial = property.default;
  if (Array.isArray(property.enum)) {
    const options: readonly unknown[] = property.enum;
    const select = el('select', { attrs: { id } }, el('option', { text: '—', attrs: { value: '' } }));
    options.forEach((option, index) => select.append(el('option', { text: typeof option === 'string' ? option : JSON.stringify(option), attrs: { value: String(index) } })));
    const chosen = options.findIndex((option) => JSON.stringify(option) === JSON.stringify(initial));
    if (chosen >= 0) select.value = String(chosen);
    return { control: select, read: () => (select.value === '' ? { empty: true } : { value: options[Number(select.value)] }) };
  }
  switch (property.type) {
    case 'boolean': {
      const box = el('input', { attrs: { id, type: 'checkbox' } });
      box.checked = initial === true;
      return { control: box, read: () => ({ value: box.checked }) };
    }
    case 'number':
    case 'integer': {
      const box = el('input', { attrs: { id, type: 'number', step: property.type === 'integer' ? '1' : 'any', inputmode: property.type === 'integer' ? 'numeric' : 'decimal' } });
      if (typeof property.minimum === 'number') box.min = String(property.minimum);
      if (typeof property.maximum === 'number') box.max = String(property.maximum);
      if (typeof initial === 'number') box.value = String(initial);
      return {
        control: box,
        read: () => {
          if (box.validity.badInput) return { problem: 'not a number' };
          return box.value === '' ? { empty: true } : { value: Number(box.value) };
        },
      };
    }
    case 'string': {
      const box = el('input', { attrs: { id, type: 'text', autocomplete: 'off' } });
      if (typeof initial === 'string') box.value = initial;
      return { control: box, read: () => (box.value === '' ? { empty: true } : { value: box.value }) };
    }
    default: {
      const box = el('textarea', { className: 'field-json', attrs: { id, rows: '3', spellcheck: 'false', placeholder: 'JSON' } });
      if (initial !== undefined) box.value = JSON.stringify(initial, null, 2);
      return {
        control: box,
        read: () => {
          if (box.value.trim() === '') return { empty: true };
          try {
            return { value: JSON.parse(box.value) as unknown };
          } catch {
            return { problem: 'not valid JSON' };
          }
        },
      };
    }
  }
}
