/**
 * The ajv options every validator is compiled with (at build time by scripts/gen-validators.ts, and by
 * tests and benchmarks that compile at run time): strict schemas, all errors, and `verbose` so errors
 * carry the found value and the schema that failed (for "allowed keys" and range messages).
 */
export const AJV_OPTIONS = {
  strict: true,
  allErrors: true,
  verbose: true,
  allowUnionTypes: true,
} as const;
