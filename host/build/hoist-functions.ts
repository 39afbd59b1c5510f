/**
 * Moves every function declaration to the top of its function body (and of the program) in ES5
 * code, keeping everything else in order. Needed because Espruino does not hoist function
 * declarations: measured on Espruino 2v29 for Linux, `function f(){ return t(); function t(){} }`
 * throws ReferenceError "t" is not defined. TypeScript's ES5 class lowering
 * (`__extends(C, _super); function C() {...}`) and bundlers' output rely on hoisting, so without this
 * pass any `class ... extends` breaks the bundle on a real board. In ES5 semantics the move changes
 * nothing: declarations are hoisted with their bodies before any statement of the scope runs.
 *
 * The same pass renames identifiers that are reserved words to Espruino's lexer but not to ES5
 * (`of`, `static`: src/jslex.h LEX_R_OF, LEX_R_STATIC). esbuild's minifier happily names a function
 * `of`, and Espruino then fails with "Got of expected ID". Property names are left alone.
 *
 * Text surgery on acorn positions; declarations nested in blocks (not allowed in strict ES5, not
 * emitted by the pipeline) are left where they are.
 */
import { parse, type Node } from 'acorn';

type AnyNode = Node & Record<string, any>;

/** Upper bound on visited nodes, so a pathological input cannot hang the build. */
const MAX_NODES = 5_000_000;

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function childNodes(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const k of Object.keys(n)) {
    if (k === 'type' || k === 'start' || k === 'end' || k === 'loc') continue;
    const v = n[k];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) out.push(c);
    } else if (isNode(v)) out.push(v);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Statement lists whose function declarations hoist: the program and every function body. */
function isScopeBody(n: AnyNode, parent: AnyNode | null): boolean {
  if (n.type === 'Program') return true;
  return n.type === 'BlockStatement' && !!parent && /^(FunctionDeclaration|FunctionExpression)$/.test(parent.type) && parent.body === n;
}

/** Identifiers Espruino's lexer reserves although ES5 does not. */
const ESPRUINO_ONLY_KEYWORDS = ['of', 'static'];

function isPropertyName(n: AnyNode, parent: AnyNode | null): boolean {
  if (!parent) return false;
  if (parent.type === 'MemberExpression') return parent.property === n && !parent.computed;
  if (parent.type === 'Property') return parent.key === n && !parent.computed;
  return false;
}

export function hoistFunctionDeclarations(code: string): string {
  const ast = parse(code, { ecmaVersion: 5, sourceType: 'script', allowReturnOutsideFunction: false }) as AnyNode;
  let budget = MAX_NODES;
  // One fresh name per reserved word, unused anywhere in the input (so no binding is captured).
  const renames: Record<string, string> = {};
  for (const w of ESPRUINO_ONLY_KEYWORDS) {
    let alt = w + '$';
    while (code.indexOf(alt) >= 0) alt += '$';
    renames[w] = alt;
  }

  // Render the source of [start, end) of node n, with every scope body inside it rewritten.
  const render = (n: AnyNode, parent: AnyNode | null): string => {
    if (budget-- <= 0) throw new Error('hoistFunctionDeclarations: input too large');
    if (isScopeBody(n, parent)) return renderBody(n);
    if (n.type === 'Identifier' && Object.prototype.hasOwnProperty.call(renames, n.name) && !isPropertyName(n, parent)) {
      return renames[n.name];
    }
    const kids = childNodes(n);
    if (kids.length === 0) return code.slice(n.start, n.end);
    let out = '';
    let pos = n.start;
    for (const c of kids) {
      out += code.slice(pos, c.start) + render(c, n);
      pos = c.end;
    }
    return out + code.slice(pos, n.end);
  };

  const renderBody = (b: AnyNode): string => {
    const stmts: AnyNode[] = b.body;
    const firstOther = stmts.findIndex((s) => s.type !== 'FunctionDeclaration');
    const late = firstOther < 0 ? -1 : stmts.findIndex((s, i) => i > firstOther && s.type === 'FunctionDeclaration');
    const open = b.type === 'Program' ? '' : '{';
    const close = b.type === 'Program' ? '' : '}';
    if (late < 0) {
      // Nothing to move: keep the text, rewrite nested bodies.
      let out = '';
      let pos = b.start;
      for (const s of stmts) {
        out += code.slice(pos, s.start) + render(s, b);
        pos = s.end;
      }
      return out + code.slice(pos, b.end);
    }
    // Directives ("use strict") stay first; then declarations; then the rest in order.
    const directives = stmts.filter((s) => typeof s.directive === 'string');
    const decls = stmts.filter((s) => s.type === 'FunctionDeclaration');
    const rest = stmts.filter((s) => s.type !== 'FunctionDeclaration' && typeof s.directive !== 'string');
    const part = (s: AnyNode) => {
      const t = render(s, b);
      return /;\s*$/.test(t) ? t : t + ';';
    };
    return open + directives.map(part).join('') + decls.map((s) => render(s, b)).join('') + rest.map(part).join('') + close;
  };

  return render(ast, null);
}
