const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element with attributes; text goes through `textContent`, never markup,
 * so names from the server (tools, models) can never be interpreted.
 */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Readonly<Record<string, string | number>> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/**
 * The `d` of a polyline through `values`, scaled into a `width` × `height` box (the
 * highest value, or `max` when larger, at the top); `area` closes it down to the baseline.
 */
export function linePath(values: readonly number[], width: number, height: number, options: { max?: number; area?: boolean } = {}): string {
  if (values.length === 0) return '';
  const top = Math.max(options.max ?? 0, ...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((value, i) => `${(i * step).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`);
  const line = `M${points.join('L')}`;
  return options.area ? `${line}L${((values.length - 1) * step).toFixed(1)},${height}L0,${height}Z` : line;
}
