/** Keywords for numbers and strings: bounds, `multipleOf`, lengths, `pattern` and `format`. */
import { FORMAT_CHECKS } from './formats.ts';
import { codePointLength, isMultipleOf } from './instance.ts';
import type { KeywordCheck } from './validation.ts';

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** minimum/maximum (with draft 4's boolean exclusives), exclusiveMinimum/Maximum, multipleOf. */
export const checkNumber: KeywordCheck = (_validation, value, schema, path, _depth, sink) => {
  if (typeof value !== 'number') return;
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf } = schema;
  if (isNumber(minimum)) {
    // Draft 4: `exclusiveMinimum: true` makes `minimum` exclusive.
    if (exclusiveMinimum === true ? value <= minimum : value < minimum) {
      sink.add(path, `must be ${exclusiveMinimum === true ? '>' : '>='} ${minimum}`, exclusiveMinimum === true ? 'exclusiveMinimum' : 'minimum');
    }
  }
  if (isNumber(maximum)) {
    if (exclusiveMaximum === true ? value >= maximum : value > maximum) {
      sink.add(path, `must be ${exclusiveMaximum === true ? '<' : '<='} ${maximum}`, exclusiveMaximum === true ? 'exclusiveMaximum' : 'maximum');
    }
  }
  if (isNumber(exclusiveMinimum) && value <= exclusiveMinimum) sink.add(path, `must be > ${exclusiveMinimum}`, 'exclusiveMinimum');
  if (isNumber(exclusiveMaximum) && value >= exclusiveMaximum) sink.add(path, `must be < ${exclusiveMaximum}`, 'exclusiveMaximum');
  if (isNumber(multipleOf) && multipleOf > 0 && !isMultipleOf(value, multipleOf)) sink.add(path, `must be a multiple of ${multipleOf}`, 'multipleOf');
};

/** minLength/maxLength in code points, pattern (on the linear engine), format. */
export const checkString: KeywordCheck = (validation, value, schema, path, _depth, sink) => {
  if (typeof value !== 'string') return;
  const { minLength, maxLength, pattern, format } = schema;
  // Scanning a long string is work like any other: it counts against the run's bound.
  validation.charge(Math.ceil(value.length / 256));
  if (isCount(minLength) || isCount(maxLength)) {
    const length = codePointLength(value);
    if (isCount(minLength) && length < minLength) sink.add(path, `must have at least ${minLength} characters`, 'minLength');
    if (isCount(maxLength) && length > maxLength) sink.add(path, `must have at most ${maxLength} characters`, 'maxLength');
  }
  if (typeof pattern === 'string' && validation.matches(pattern, value, path) === false) sink.add(path, `must match ${pattern}`, 'pattern');
  // Unknown formats are annotations at run time (an MCP server's schema); the compiler refuses them in manifests.
  if (typeof format === 'string' && Object.hasOwn(FORMAT_CHECKS, format) && !FORMAT_CHECKS[format]!(value)) {
    sink.add(path, `must be a valid ${format}`, 'format');
  }
};
