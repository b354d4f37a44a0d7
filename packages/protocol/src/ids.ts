import { z } from 'zod';
import { idProblem } from './id-rule.js';

/** An id field of a frame or request body, under {@link idProblem}'s rule. */
export const IdSchema = z
  .string()
  .superRefine((value, context) => {
    const problem = idProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  // For the JSON Schema the client validates with (wire-validator.ts): the same rule, by name.
  .meta({ 'x-check': 'id' });
