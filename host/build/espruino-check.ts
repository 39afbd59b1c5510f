/**
 * Static guard for code that must run on Espruino 2v29: the built firmware bundle is parsed as
 * ES5 and every use of a global that Espruino lacks is reported with its line:col.
 *
 * Scope analysis is ES5's (function scope: var, function declarations, parameters, the name of
 * a named function expression; block scope only for a catch parameter), so a local `Map`, a
 * parameter named `crypto` or `obj.from(x)` on a user object is not flagged; only references
 * that resolve to the global object are. `typeof X` is allowed for any X (feature detection
 * is safe on Espruino: it yields "undefined").
 */
import { parse, type Node } from 'acorn';
import { ABSENT_GLOBALS, ESPRUINO_MODULES, ESPRUINO_STATICS, ESPRUINO_VERSION, STATIC_HINTS } from '../../boards/espruino-common/espruino-builtins';

/** Members every constructor has through Function.prototype / Object.prototype. */
const ALWAYS_PRESENT_STATICS = ['prototype', 'length', 'name', 'call', 'apply', 'bind', 'toString', 'valueOf',
  'hasOwnProperty', 'constructor'];

/** Upper bound on AST nodes visited, so a pathological input cannot hang the build. */
const MAX_NODES = 5_000_000;

type AnyNode = Node & Record<string, any>;

interface Scope {
  names: Set<string>;
  parent: Scope | null;
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Children of a node in source order (generic: every property holding nodes). */
function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) out.push(c);
    } else if (isNode(v)) out.push(v);
  }
  return out;
}

/** Collect the names a function body declares (var and function declarations, hoisted; not nested functions). */
function collectDeclarations(body: AnyNode, names: Set<string>): void {
  const stack: AnyNode[] = [body];
  let budget = MAX_NODES;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === 'VariableDeclaration') {
      for (const d of n.declarations) if (d.id.type === 'Identifier') names.add(d.id.name);
    } else if (n.type === 'FunctionDeclaration') {
      if (n.id) names.add(n.id.name);
      continue; // its body is its own scope
    } else if (n.type === 'FunctionExpression') {
      continue;
    }
    for (const c of children(n)) stack.push(c);
  }
}

function resolves(scope: Scope | null, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

function staticName(member: AnyNode): string | null {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') {
    return member.property.value;
  }
  return null;
}

/**
 * Check `code` (a script) for constructs Espruino 2v29 cannot run.
 * Returns problems as "line:col message"; an empty list means none were found.
 */
export interface CheckOptions {
  /**
   * Names a runtime shim in the bundle defines before use ("Uint8Array.from", "RangeError"):
   * not reported. The order (shim before use) is not checked here; running the bundle in
   * boards/emu/espruino-vm.ts is what catches a late shim.
   */
  allow?: readonly string[];
}

export function checkEspruinoSource(code: string, opts: CheckOptions = {}): string[] {
  const allow = new Set(opts.allow ?? []);
  let ast: AnyNode;
  try {
    ast = parse(code, { ecmaVersion: 5, sourceType: 'script', locations: true }) as AnyNode;
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const where = err.loc ? err.loc.line + ':' + (err.loc.column + 1) : '?:?';
    return [where + ' parse error (not ES5): ' + err.message.replace(/ \(\d+:\d+\)$/, '')];
  }

  const problems: string[] = [];
  const at = (n: AnyNode) => (n.loc ? n.loc.start.line + ':' + (n.loc.start.column + 1) : '?:?');
  const report = (n: AnyNode, msg: string) => problems.push(at(n) + ' ' + msg);

  const globalScope: Scope = { names: new Set(), parent: null };
  collectDeclarations(ast, globalScope.names);

  // Iterative walk; each stack entry carries its scope and what it is to its parent.
  interface Item { node: AnyNode; scope: Scope; parent: AnyNode | null; role: string }
  const stack: Item[] = [{ node: ast, scope: globalScope, parent: null, role: '' }];
  let budget = MAX_NODES;
  while (stack.length > 0) {
    if (budget-- <= 0) {
      problems.push('0:0 program too large to check');
      break;
    }
    const { node, scope, parent, role } = stack.pop()!;
    let inner = scope;

    switch (node.type) {
      case 'LabeledStatement':
        report(node, 'labelled statement "' + node.label.name + '": Espruino has no labelled break/continue');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression': {
        inner = { names: new Set(), parent: scope };
        if (node.type === 'FunctionExpression' && node.id) inner.names.add(node.id.name);
        for (const p of node.params) if (p.type === 'Identifier') inner.names.add(p.name);
        inner.names.add('arguments');
        collectDeclarations(node.body, inner.names);
        break;
      }
      case 'CatchClause': {
        inner = { names: new Set(), parent: scope };
        if (node.param && node.param.type === 'Identifier') inner.names.add(node.param.name);
        break;
      }
      case 'Identifier': {
        if (!isReference(node, parent, role)) break;
        if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') break;
        const name: string = node.name;
        if (Object.prototype.hasOwnProperty.call(ABSENT_GLOBALS, name) && !allow.has(name) && !resolves(scope, name)) {
          report(node, name + ': ' + ABSENT_GLOBALS[name]);
        }
        break;
      }
      case 'MemberExpression': {
        const obj = node.object;
        const prop = staticName(node);
        if (obj.type === 'Identifier' && prop !== null && !resolves(scope, obj.name)) {
          if (!allow.has(obj.name + '.' + prop)) checkStatic(node, obj.name, prop, parent, report);
        }
        break;
      }
      case 'Literal': {
        if (node.regex) {
          const bad = unsupportedRegex(node.regex.pattern);
          if (bad) report(node, 'regular expression /' + node.regex.pattern + '/ uses ' + bad + ', which Espruino 2v29\'s regex engine lacks');
        }
        break;
      }
      case 'CallExpression': {
        const callee = node.callee;
        if (callee.type === 'Identifier' && callee.name === 'require' && !resolves(scope, 'require')) {
          const arg = node.arguments[0];
          if (!arg || arg.type !== 'Literal' || typeof arg.value !== 'string') {
            report(node, 'require() with a non-literal module name');
          } else if (ESPRUINO_MODULES.indexOf(arg.value) < 0) {
            report(node, 'require("' + arg.value + '"): not an Espruino module (allowed: ' + ESPRUINO_MODULES.join(', ') + ')');
          }
        }
        break;
      }
    }

    // Push children in reverse so they are visited in source order (problems come out sorted).
    const keys = Object.keys(node);
    const kids: Item[] = [];
    for (const key of keys) {
      if (key === 'loc' || key === 'type') continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) kids.push({ node: c, scope: inner, parent: node, role: key });
      } else if (isNode(v)) kids.push({ node: v, scope: inner, parent: node, role: key });
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return problems;
}

/**
 * Espruino 2v29's regex engine (jswrap_regexp.c) has no counted repetition `{n,m}`, no optional or lazy
 * `?`, and no groups with modifiers; measured on the interpreter: /^a{2}$/.test("aa") and /^a?$/.test("a")
 * are false. Returns what is unsupported, or null.
 */
export function unsupportedRegex(pattern: string): string | null {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '?') return 'the ? quantifier';
    else if (c === '{' && /^\{\d*,?\d*\}/.test(pattern.slice(i))) return 'counted repetition {n,m}';
  }
  return null;
}

/** Is this Identifier a variable reference (not a property name, label or declaration)? */
function isReference(node: AnyNode, parent: AnyNode | null, role: string): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case 'MemberExpression':
      return role === 'object' || parent.computed;
    case 'Property':
      return role === 'value';
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    case 'VariableDeclarator':
      return role === 'init';
    case 'FunctionDeclaration':
    case 'FunctionExpression':
      return false; // id or params
    case 'CatchClause':
      return role !== 'param';
    default:
      return true;
  }
}

function checkStatic(
  node: AnyNode,
  globalName: string,
  prop: string,
  parent: AnyNode | null,
  report: (n: AnyNode, msg: string) => void,
): void {
  const full = globalName + '.' + prop;
  if (globalName === 'crypto') return; // the identifier itself is reported
  if (globalName === 'global' || globalName === 'globalThis') {
    // global.Map is the same as Map
    if (Object.prototype.hasOwnProperty.call(ABSENT_GLOBALS, prop)) {
      if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') return;
      report(node, full + ': ' + ABSENT_GLOBALS[prop]);
    }
    return;
  }
  if (!Object.prototype.hasOwnProperty.call(ESPRUINO_STATICS, globalName)) return;
  if (ALWAYS_PRESENT_STATICS.indexOf(prop) >= 0) return;
  if (ESPRUINO_STATICS[globalName].indexOf(prop) >= 0) return;
  if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') return;
  const hint = STATIC_HINTS[full];
  report(node, full + ' is absent on Espruino ' + ESPRUINO_VERSION + (hint ? ' (' + hint + ')' : ''));
}
