import { describe, expect, it } from 'vitest';
import { createStack } from './stack.ts';

describe('createStack', () => {
  it('stops the last added first, and goes on past a failure it reports', async () => {
    const stack = createStack();
    const order: string[] = [];
    stack.add('redis', () => order.push('redis'));
    stack.add('api', () => {
      throw new Error('boom');
    });
    stack.add('worker', async () => order.push('worker'));
    const failures: string[] = [];
    await stack.stopAll((name, error) => failures.push(`${name}: ${(error as Error).message}`));
    expect(order).toEqual(['worker', 'redis']);
    expect(failures).toEqual(['api: boom']);
  });
});
