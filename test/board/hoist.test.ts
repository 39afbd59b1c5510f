/**
 * The build's Espruino pass (host/build/hoist-functions.ts): Espruino does not hoist function
 * declarations and reserves `of`/`static`, so the built bundle must declare every function before
 * the first statement of its scope and never use those words as identifiers.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { hoistFunctionDeclarations } from '../../host/build/hoist-functions';
import { BUNDLE } from '../helpers/gateway';

const run = (code: string) => vm.runInNewContext(code, {}, { timeout: 1000 });

describe('Espruino hoisting pass', () => {
  it('moves late function declarations up without changing what the code computes', () => {
    const src =
      'var log=[];var A=function(s){ext(t,s);function t(){this.v=1}t.prototype.k=function(){return inner();function inner(){return 7}};return t}(Object);' +
      'function ext(a,b){log.push(typeof a)}var of=2,o={of:3};function f(of){return of+o.of}log.push(new A().k(),f(of));"use strict";log.join()';
    const out = hoistFunctionDeclarations(src);
    expect(run(out)).toBe(run(src));
    expect(out).not.toMatch(/[^.\w$]of[^\w$:]/);
    expect(out).toContain('o.of');
    expect(out).toContain('{of:3}');
    expect(out.indexOf('function t(')).toBeLessThan(out.indexOf('ext(t,s)'));
  });

  it('leaves code that needs nothing untouched and rejects what is not ES5', () => {
    const src = 'function a(){return 1}var b=a();';
    expect(hoistFunctionDeclarations(src)).toBe(src);
    expect(() => hoistFunctionDeclarations('let x = 1;')).toThrow();
  });

  it('the built bundle has no function declared after a statement, and no identifier `of`', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    expect(code).not.toMatch(/Math\.random/);
    const ast: any = parse(code, { ecmaVersion: 5 });
    let late = 0;
    let reserved = 0;
    const walk = (n: any, parent: any) => {
      if (!n || typeof n.type !== 'string') return;
      const body = n.type === 'Program' ? n.body : n.type === 'BlockStatement' && parent && /Function/.test(parent.type) ? n.body : null;
      if (body) {
        let seenOther = false;
        for (const s of body) {
          if (s.type === 'FunctionDeclaration') {
            if (seenOther) late++;
          } else if (!s.directive) seenOther = true;
        }
      }
      if (n.type === 'Identifier' && (n.name === 'of' || n.name === 'static')) {
        const prop = parent && ((parent.type === 'MemberExpression' && parent.property === n && !parent.computed) || (parent.type === 'Property' && parent.key === n));
        if (!prop) reserved++;
      }
      for (const k of Object.keys(n)) {
        const v = n[k];
        if (Array.isArray(v)) v.forEach((c) => walk(c, n));
        else if (v && typeof v.type === 'string') walk(v, n);
      }
    };
    walk(ast, null);
    expect(late).toBe(0);
    expect(reserved).toBe(0);
  });
});
