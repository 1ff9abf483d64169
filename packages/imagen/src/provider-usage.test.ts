import { describe, expect, it } from 'vitest';
import { CLIENT_REQUEST_ID_PATTERN, clientRequestId } from './provider-usage.ts';

describe('clientRequestId', () => {
  it('is the job id as it is, a dot and the call number', () => {
    expect(clientRequestId('job_01jd5q3w4xk8v2m9n7p6r5t4s3', 1)).toBe(
      'job_01jd5q3w4xk8v2m9n7p6r5t4s3.1',
    );
    expect(clientRequestId('job_a.b:c-d', 12)).toBe('job_a.b:c-d.12');
  });

  it('replaces only characters the header does not take', () => {
    expect(clientRequestId('job_é/x y', 3)).toBe('job_--x-y.3');
  });

  it('caps at 128 characters by cutting the job id, keeping the call number', () => {
    const id = clientRequestId(`job_${'x'.repeat(200)}`, 1234);
    expect(id).toHaveLength(128);
    expect(id.endsWith('x.1234')).toBe(true);
    expect(id).toMatch(CLIENT_REQUEST_ID_PATTERN);
  });
});
