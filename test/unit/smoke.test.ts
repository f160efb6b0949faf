import { describe, expect, it } from 'vitest';
describe('toolchain', () => {
  it('when tests run, then they run on Node 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
