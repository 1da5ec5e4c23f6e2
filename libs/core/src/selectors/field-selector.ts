/**
 * Kubernetes field selectors (k8s.io/apimachinery pkg/fields/selector.go):
 * `metadata.name=web,status.phase!=Running`. Terms are ANDed; `=` and `==` mean equal.
 *
 * In values, `\,` `\=` and `\\` stand for `,` `=` and `\`; any other escape, a trailing
 * lone `\`, or an unescaped `=` in a value is an error. Field names cannot be escaped: a
 * term splits at its first operator. Surrounding whitespace of a field name is ignored
 * (Kubernetes keeps it, which only ever produces "field label not supported" errors);
 * values are taken literally. Empty terms are skipped, so `""` matches everything.
 * Whether a field may be selected on is for the caller to decide.
 */
import { errors } from '../api/status';

export type FieldOperator = 'Equals' | 'NotEquals';

export type FieldRequirement = { field: string; operator: FieldOperator; value: string };

function quote(s: string): string {
  return `'${s.length > 200 ? `${s.slice(0, 200)}...` : s}'`;
}

/** Splits at unescaped commas, keeping escapes in the terms. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inEscape = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inEscape) inEscape = false;
    else if (c === '\\') inEscape = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const OPERATORS: [string, FieldOperator][] = [
  ['!=', 'NotEquals'],
  ['==', 'Equals'],
  ['=', 'Equals'],
];

function splitTerm(
  term: string,
): { lhs: string; operator: FieldOperator; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const [symbol, operator] of OPERATORS) {
      if (term.startsWith(symbol, i)) {
        return { lhs: term.slice(0, i), operator, rhs: term.slice(i + symbol.length) };
      }
    }
  }
  return undefined;
}

/** Undoes {@link escapeFieldSelectorValue}; throws an `ApiError` 400 on a bad escape. */
export function unescapeFieldSelectorValue(value: string, term = value): string {
  let out = '';
  let inEscape = false;
  for (const c of value) {
    if (inEscape) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw errors.badRequest(
          `invalid field selector: invalid escape sequence: \\${c} in ${quote(term)} (only \\\\, \\, and \\= are allowed)`,
        );
      }
      out += c;
      inEscape = false;
    } else if (c === '\\') {
      inEscape = true;
    } else if (c === ',' || c === '=') {
      throw errors.badRequest(
        `invalid field selector: unescaped character in value: ${c} in ${quote(term)} (write \\${c})`,
      );
    } else {
      out += c;
    }
  }
  if (inEscape) {
    throw errors.badRequest(
      `invalid field selector: invalid escape sequence: \\ at the end of ${quote(term)}`,
    );
  }
  return out;
}

/** Escapes `\`, `,` and `=` so that any string can be used as a field selector value. */
export function escapeFieldSelectorValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses a field selector such as `metadata.name=web,status.phase!=Running`. The empty
 * string matches everything. Throws an `ApiError` 400 BadRequest on malformed input.
 */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (typeof selector !== 'string') {
    throw errors.badRequest('invalid field selector: must be a string');
  }
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(selector)) {
    if (term.trim() === '') continue;
    const parts = splitTerm(term);
    if (!parts) {
      throw errors.badRequest(
        `invalid field selector: can't understand ${quote(term)}: expected <field>=<value>, <field>==<value> or <field>!=<value>`,
      );
    }
    const field = parts.lhs.trim();
    if (field === '') {
      throw errors.badRequest(`invalid field selector: missing field name in ${quote(term)}`);
    }
    reqs.push({
      field,
      operator: parts.operator,
      value: unescapeFieldSelectorValue(parts.rhs, term),
    });
  }
  return reqs;
}

/** Whether `fields` satisfy every requirement; a missing field compares as ''. */
export function matchesFields(
  reqs: FieldRequirement[],
  fields: Record<string, string> | undefined | null,
): boolean {
  for (const r of reqs) {
    const actual = fields != null && Object.hasOwn(fields, r.field) ? (fields[r.field] ?? '') : '';
    const equal = actual === r.value;
    if (r.operator === 'Equals' ? !equal : equal) return false;
  }
  return true;
}

/** The requirements in field selector syntax, values escaped: `a=b,c!=d\,e`. */
export function formatFieldSelector(reqs: FieldRequirement[]): string {
  return reqs
    .map(
      (r) =>
        `${r.field}${r.operator === 'NotEquals' ? '!=' : '='}${escapeFieldSelectorValue(r.value)}`,
    )
    .join(',');
}
