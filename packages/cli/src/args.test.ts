import { describe, expect, it } from 'vitest';
import { parseCommand } from './args.ts';
import { EXIT, UsageError } from './errors.ts';

describe('parseCommand', () => {
  it('parses submit with its options; --out implies --wait', () => {
    expect(parseCommand(['submit', 'prompts.txt'])).toEqual({
      name: 'submit',
      file: 'prompts.txt',
      webhook: undefined,
      wait: false,
      out: undefined,
      json: false,
    });
    expect(
      parseCommand([
        'submit',
        'p.ndjson',
        '--webhook',
        'https://example.com/hook',
        '--out',
        'o',
        '--json',
      ]),
    ).toEqual({
      name: 'submit',
      file: 'p.ndjson',
      webhook: 'https://example.com/hook',
      wait: true,
      out: 'o',
      json: true,
    });
  });

  it('parses status, download and cancel', () => {
    expect(parseCommand(['status', 'job_1'])).toEqual({ name: 'status', id: 'job_1', json: false });
    expect(parseCommand(['status', 'bat_1', '--json'])).toEqual({
      name: 'status',
      id: 'bat_1',
      json: true,
    });
    expect(parseCommand(['download', 'bat_1', '--out', 'dir'])).toEqual({
      name: 'download',
      batchId: 'bat_1',
      out: 'dir',
      json: false,
    });
    expect(parseCommand(['cancel', 'job_9'])).toEqual({ name: 'cancel', id: 'job_9', json: false });
  });

  it('answers help for no command, help or --help', () => {
    expect(parseCommand([])).toEqual({ name: 'help' });
    expect(parseCommand(['help'])).toEqual({ name: 'help' });
    expect(parseCommand(['status', '-h'])).toEqual({ name: 'help' });
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['submit'], /submit needs FILE/],
    [['submit', 'a', 'b'], /takes one FILE/],
    [['submit', 'a', '--webhook', 'ftp://x'], /--webhook must be an http\(s\) URL/],
    [['submit', 'a', '--nope'], /Unknown option '--nope'/],
    [['status', 'xyz'], /not an id of the expected kind \(job_… or bat_…\)/],
    [['status', 'job_1', '--wait'], /'status' does not take --wait/],
    [['download', 'bat_1'], /download needs --out DIR/],
    [['download', 'job_1', '--out', 'd'], /expected kind \(bat_…\)/],
    [['download', 'bat_1', '--out', ' '], /--out is empty/],
  ])('refuses %j as a usage error (exit 2)', (argv, message) => {
    let caught: unknown;
    try {
      parseCommand(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(EXIT.usage);
    expect((caught as Error).message).toMatch(message);
  });
});
