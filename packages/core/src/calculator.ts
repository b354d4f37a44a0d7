/**
 * A small, safe arithmetic evaluator (no `eval`): numbers, `+ - * / % ^`, unary
 * minus and parentheses, with the usual precedence; `^` is right-associative.
 * @throws Error on anything else, or on division by zero
 */
export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/%^()]|\S/g) ?? [];
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (): string | undefined => tokens[position++];

  const primary = (): number => {
    const token = take();
    if (token === undefined) throw new Error('the expression ends too early');
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new Error('a parenthesis is not closed');
      return value;
    }
    if (token === '-') return -power();
    if (token === '+') return power();
    if (/^\d/.test(token)) return Number(token);
    throw new Error(`unexpected "${token}"`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      take();
      const right = power();
      if ((op === '/' || op === '%') && right === 0) throw new Error('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      take();
      value = op === '+' ? value + product() : value - product();
    }
    return value;
  };

  const value = sum();
  if (position !== tokens.length) throw new Error(`unexpected "${tokens[position] ?? ''}"`);
  if (!Number.isFinite(value)) throw new Error('the result is not a finite number');
  return value;
}

/**
 * The first arithmetic expression in a text, such as `17 * 23` in "What is 17 * 23?",
 * or undefined when the text has none (a lone number is not an expression).
 */
export function findArithmetic(text: string): string | undefined {
  for (const match of text.matchAll(/[\d(][\d\s.+\-*/%^()]*[\d)]/g)) {
    const candidate = match[0].trim();
    if (/\d\s*[-+*/%^]\s*[\d(-]/.test(candidate) || /\)\s*[-+*/%^]/.test(candidate)) return candidate;
  }
  return undefined;
}
