/**
 * vitest setupFiles entry: registered before each test file's own hooks, so (hooks run in stack
 * order) this afterAll runs after the file's, once its gateways and brokers are stopped, and also
 * when a test or hook failed.
 */
import { afterAll } from 'vitest';
import { removeAllTestDirs } from './temp-dir';

afterAll(() => removeAllTestDirs());
