import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/index.js';

describe('formatDuration', () => {
  it('reads in ms below a second, in tenths of a second below a minute, then in min:ss', () => {
    expect([0, 12.4, 999.4].map(formatDuration)).toEqual(['0 ms', '12 ms', '999 ms']);
    expect([1_000, 1_449, 59_940].map(formatDuration)).toEqual(['1.0 s', '1.4 s', '59.9 s']);
    expect([60_000, 125_000, 3_599_400, 3_600_000].map(formatDuration)).toEqual(['1:00 min', '2:05 min', '59:59 min', '60:00 min']);
  });
});
