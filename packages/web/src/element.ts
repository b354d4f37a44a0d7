/** What {@link el} sets on a new element. Text goes through `textContent`, never HTML. */
export interface ElementProps {
  className?: string;
  text?: string;
  /** Attributes, including `data-*` hooks for tests. */
  attrs?: Readonly<Record<string, string>>;
}

/**
 * Creates an element. The page builds its DOM only through this helper (and
 * `textContent`), so event data from the wire can never be interpreted as HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className !== undefined) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
