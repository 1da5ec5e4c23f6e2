/**
 * Kubernetes label selectors (k8s.io/apimachinery pkg/labels/selector.go): parsed into a
 * small AST that can be evaluated in memory ({@link matchesLabels}) or translated to SQL.
 *
 * Grammar (whitespace between tokens is ignored; requirements are ANDed):
 *
 *   selector     ::= "" | requirement ("," requirement)*
 *   requirement  ::= key | "!" key | key ("=" | "==" | "!=") value?
 *                  | key ("in" | "notin") "(" values ")"
 *
 * Keys are qualified names (`app`, `app.kubernetes.io/name`) and values label values, both
 * validated as Kubernetes does. Like Kubernetes, requirements come out sorted by key and
 * set values sorted and de-duplicated, so formatting a parsed selector is canonical.
 * Kubernetes' numeric `>`/`<` operators are not supported.
 */
import { errors, type ApiError, type StatusCause } from '../api/status';
import { fieldErrors } from '../validation/field-errors';
import { isQualifiedName, isValidLabelValue, validateLabels } from '../validation/names';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';

export type LabelRequirement = {
  key: string;
  operator: LabelOperator;
  /** One value for Equals/NotEquals, at least one for In/NotIn, none for Exists/DoesNotExist. */
  values: string[];
};

/** Requirements that must all hold. The empty selector matches everything. */
export type LabelSelector = LabelRequirement[];

/** The metav1.LabelSelector shape (Deployment.spec.selector and friends). */
export type LabelSelectorObject = {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
};

type TokenKind = 'ident' | '!' | '!=' | '(' | ')' | ',' | '=' | '==' | '>' | '<' | 'eos';

interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset in the selector string. */
  pos: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (WHITESPACE.has(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        tokens.push({ kind: two, text: two, pos: i });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, text: c, pos: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !WHITESPACE.has(input[i]!) && !SPECIAL.has(input[i]!)) i++;
    tokens.push({ kind: 'ident', text: input.slice(start, i), pos: start });
  }
  tokens.push({ kind: 'eos', text: '', pos: input.length });
  return tokens;
}

/** Cuts long user input short so that error messages stay readable. */
function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function describe(t: Token): string {
  return t.kind === 'eos' ? 'end of string' : `'${clip(t.text)}' at column ${t.pos + 1}`;
}

function quoteSelector(s: string): string {
  return JSON.stringify(clip(s, 200));
}

class LabelSelectorParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly input: string) {
    this.tokens = lex(input);
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const t = this.tokens[this.index]!;
    if (t.kind !== 'eos') this.index++;
    return t;
  }

  private fail(detail: string, inRequirement = true): ApiError {
    return errors.badRequest(
      `invalid label selector ${quoteSelector(this.input)}: ${inRequirement ? 'unable to parse requirement: ' : ''}${detail}`,
    );
  }

  private unexpected(t: Token, expected: string, inRequirement = true): ApiError {
    return this.fail(`found ${describe(t)}, expected: ${expected}`, inRequirement);
  }

  parse(): LabelSelector {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eos') break;
      if (t.kind !== 'ident' && t.kind !== '!') {
        throw this.unexpected(t, "'!', identifier, or end of string", false);
      }
      requirements.push(this.parseRequirement());
      const after = this.next();
      if (after.kind === 'eos') break;
      if (after.kind !== ',') throw this.unexpected(after, "',' or end of string", false);
      const t2 = this.peek();
      if (t2.kind !== 'ident' && t2.kind !== '!') {
        throw this.unexpected(t2, "identifier after ','", false);
      }
    }
    return sortByKey(requirements);
  }

  private parseRequirement(): LabelRequirement {
    let t = this.next();
    const negated = t.kind === '!';
    if (negated) t = this.next();
    if (t.kind !== 'ident') throw this.unexpected(t, 'identifier');
    const key = t.text;
    const keyErrors = isQualifiedName(key);
    if (keyErrors.length > 0) {
      throw this.fail(`invalid label key ${JSON.stringify(clip(key))}: ${keyErrors.join('; ')}`);
    }

    const p = this.peek();
    if (negated) return { key, operator: 'DoesNotExist', values: [] };
    if (p.kind === 'eos' || p.kind === ',') return { key, operator: 'Exists', values: [] };

    const op = this.next();
    let operator: LabelOperator;
    let values: string[];
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      operator = op.kind === '!=' ? 'NotEquals' : 'Equals';
      values = [this.parseExactValue()];
    } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
      operator = op.text === 'in' ? 'In' : 'NotIn';
      values = this.parseValues();
    } else if (op.kind === '>' || op.kind === '<') {
      throw this.fail(
        `found ${describe(op)}: numeric comparisons are not supported, expected one of: =, ==, !=, in, notin`,
      );
    } else {
      throw this.unexpected(op, '=, ==, !=, in, notin');
    }

    for (const value of values) {
      const valueErrors = isValidLabelValue(value);
      if (valueErrors.length > 0) {
        throw this.fail(
          `invalid label value ${JSON.stringify(clip(value))} for key ${JSON.stringify(key)}: ${valueErrors.join('; ')}`,
        );
      }
    }
    return { key, operator, values };
  }

  /** The value after `=`, `==` or `!=`; may be empty (`a=`). */
  private parseExactValue(): string {
    const t = this.peek();
    if (t.kind === 'eos' || t.kind === ',') return '';
    this.next();
    if (t.kind === 'ident') return t.text;
    throw this.unexpected(t, 'identifier');
  }

  /**
   * `(a, b, c)`; empty members are allowed (`(a,)`, `(,)`) and mean the empty value. An empty
   * set `()` is refused: Kubernetes reads it as `("")`, so `a notin ()` silently matches
   * every object without the label — with deletecollection, nearly everything.
   */
  private parseValues(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw this.unexpected(open, "'('");
    const values = new Set<string>();
    let t = this.peek();
    if (t.kind === ')') {
      throw this.fail(
        `found ${describe(t)}, expected: identifier: the set of an 'in' or 'notin' requirement must name at least one value (the empty value is written '(,)')`,
      );
    }
    for (;;) {
      t = this.next();
      if (t.kind === 'ident') {
        values.add(t.text);
        const after = this.peek();
        if (after.kind === ',') continue;
        if (after.kind === ')') {
          this.next();
          break;
        }
        throw this.unexpected(after, "',' or ')'");
      } else if (t.kind === ',') {
        if (values.size === 0) values.add(''); // "(,"
        const after = this.peek();
        if (after.kind === ')') {
          values.add(''); // ",)"
          this.next();
          break;
        }
        if (after.kind === ',') values.add(''); // ",,"
      } else {
        throw this.unexpected(t, "',', ')' or identifier");
      }
    }
    return [...values].sort(compareStrings);
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => compareStrings(a.key, b.key));
}

/**
 * Parses a label selector string such as `app=web,tier in (a,b),!canary`. The empty string
 * (or only whitespace) matches everything. Throws an `ApiError` 400 BadRequest that says what
 * was found where.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  if (typeof selector !== 'string') {
    throw errors.badRequest('invalid label selector: must be a string');
  }
  return new LabelSelectorParser(selector).parse();
}

/** Whether `labels` satisfy every requirement of `selector`. */
export function matchesLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined | null,
): boolean {
  for (const r of selector) {
    const has = labels != null && Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.operator) {
      case 'Equals':
      case 'In':
        if (!has || !r.values.includes(value as string)) return false;
        break;
      case 'NotEquals':
      case 'NotIn':
        if (has && r.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator this code does not know matches nothing
    }
  }
  return true;
}

const SET_OPERATORS = new Set(['In', 'NotIn']);
const EXISTENCE_OPERATORS = new Set(['Exists', 'DoesNotExist']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a metav1.LabelSelector object the way Kubernetes' ValidateLabelSelector does,
 * returning causes for a 422 (e.g. under `spec.selector`).
 */
export function validateLabelSelectorObject(sel: unknown, field: string): StatusCause[] {
  if (sel === undefined || sel === null) return [];
  if (!isRecord(sel)) return [fieldErrors.typeInvalid(field, sel, 'must be an object')];
  const causes: StatusCause[] = [];
  causes.push(...validateLabels(sel.matchLabels, `${field}.matchLabels`));
  const exprs = sel.matchExpressions;
  if (exprs === undefined || exprs === null) return causes;
  if (!Array.isArray(exprs)) {
    causes.push(fieldErrors.typeInvalid(`${field}.matchExpressions`, exprs, 'must be a list'));
    return causes;
  }
  exprs.forEach((expr: unknown, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    if (!isRecord(expr)) {
      causes.push(fieldErrors.typeInvalid(path, expr, 'must be an object'));
      return;
    }
    const { key, operator, values } = expr;
    if (values !== undefined && values !== null && !Array.isArray(values)) {
      causes.push(fieldErrors.typeInvalid(`${path}.values`, values, 'must be a list of strings'));
    }
    const list: unknown[] = Array.isArray(values) ? values : [];
    if (typeof operator === 'string' && SET_OPERATORS.has(operator)) {
      if (list.length === 0) {
        causes.push(
          fieldErrors.required(
            `${path}.values`,
            "must be specified when `operator` is 'In' or 'NotIn'",
          ),
        );
      }
    } else if (typeof operator === 'string' && EXISTENCE_OPERATORS.has(operator)) {
      if (list.length > 0) {
        causes.push(
          fieldErrors.forbidden(
            `${path}.values`,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
    } else {
      causes.push(
        fieldErrors.invalid(`${path}.operator`, operator, 'not a valid selector operator'),
      );
    }
    if (key === undefined || key === null || key === '') {
      causes.push(fieldErrors.required(`${path}.key`));
    } else {
      for (const msg of isQualifiedName(key))
        causes.push(fieldErrors.invalid(`${path}.key`, key, msg));
    }
    list.forEach((value, j) => {
      for (const msg of isValidLabelValue(value)) {
        causes.push(fieldErrors.invalid(`${path}.values[${j}]`, value, msg));
      }
    });
  });
  return causes;
}

/**
 * Converts a metav1.LabelSelector into requirements (matchLabels become Equals). An empty
 * object matches everything. (A *missing* selector matches nothing in Kubernetes; callers
 * must handle that case themselves.) Throws an `ApiError` 400 listing every problem.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject): LabelSelector {
  const causes = validateLabelSelectorObject(sel, 'selector');
  if (sel === undefined || sel === null) {
    causes.push(fieldErrors.required('selector'));
  }
  if (causes.length > 0) {
    throw errors.badRequest(
      `invalid label selector: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      causes,
    );
  }
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key, operator: 'Equals', values: [value] });
  }
  for (const expr of sel.matchExpressions ?? []) {
    const values = EXISTENCE_OPERATORS.has(expr.operator)
      ? []
      : [...new Set(expr.values ?? [])].sort(compareStrings);
    reqs.push({ key: expr.key, operator: expr.operator, values });
  }
  return sortByKey(reqs);
}

/** One requirement in selector syntax: `a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function formatLabelRequirement(r: LabelRequirement): string {
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${r.values[0] ?? ''}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0] ?? ''}`;
    case 'In':
    case 'NotIn':
      return `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${formatValues(r.values)})`;
    default:
      return r.key;
  }
}

/** A set's members, sorted; the set of just the empty value is `,` (as `()` is refused). */
function formatValues(values: readonly string[]): string {
  const sorted = [...values].sort(compareStrings);
  return sorted.length === 1 && sorted[0] === '' ? ',' : sorted.join(',');
}

/** The selector as a string (`app=web,tier in (a,b)`), e.g. for Scale.status.selector. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.map(formatLabelRequirement).join(',');
}
