import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStartArgs, StartUsageError } from '../../../local/start-options.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'start-options-'));
  writeFileSync(path.join(dir, 'world.json'), JSON.stringify({ people: [], accounts: [] }));
  writeFileSync(path.join(dir, 'rules.json'), JSON.stringify([{ id: 'r' }]));
  writeFileSync(path.join(dir, 'object.json'), JSON.stringify({ id: 'r' }));
  writeFileSync(path.join(dir, 'broken.json'), '{');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (...argv: string[]) => parseStartArgs(argv, dir);
const problem = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(StartUsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseStartArgs', () => {
  it('takes a OneBot bot to post events to, with its secret and mode; refuses them alone or bad', () => {
    expect(
      parse('--onebot-url', 'http://127.0.0.1:8080/', '--onebot-secret', 's', '--onebot-mode', 'both').onebot,
    ).toEqual({
      url: 'http://127.0.0.1:8080/',
      secret: 's',
      mode: 'both',
    });
    expect(parse('--onebot-url', 'https://bot.example/hook').onebot).toEqual({
      url: 'https://bot.example/hook',
    });
    expect(problem('--onebot-secret', 's')).toBe('--onebot-secret goes with --onebot-url');
    expect(problem('--onebot-url', 'ftp://x')).toBe(
      '--onebot-url must be an http or https URL, not "ftp://x"',
    );
    expect(problem('--onebot-url', 'http://x/', '--onebot-mode', 'all')).toBe(
      '--onebot-mode must be one of rules_first, onebot_only, both, not "all"',
    );
  });

  it('has defaults that run the built-in simulator with free ports', () => {
    expect(parse()).toEqual({
      help: false,
      waitScan: false,
      quietDemo: false,
      simulatorPort: 0,
      sendApiPort: 0,
    });
  });

  it('reads every flag, files relative to the working directory, a data folder made absolute', () => {
    expect(
      parse(
        '--world',
        'world.json',
        '--rules',
        'rules.json',
        '--data-dir',
        'data',
        '--log-level',
        'info',
        '--wait-scan',
        '--quiet-demo',
        '--port',
        '8788',
        '--api-port',
        '8789',
        '--hold-ms',
        '5000',
        '--account',
        '20001',
      ),
    ).toEqual({
      help: false,
      account: '20001',
      world: { people: [], accounts: [] },
      rules: [{ id: 'r' }],
      dataDir: path.join(dir, 'data'),
      logLevel: 'INFO',
      waitScan: true,
      quietDemo: true,
      simulatorPort: 8788,
      sendApiPort: 8789,
      holdMs: 5000,
    });
  });

  it('takes a SmartQQ server with the account it logs in as', () => {
    expect(parse('--smartqq-url', 'http://127.0.0.1:8788/', '--account', '123456789')).toMatchObject({
      smartqqUrl: 'http://127.0.0.1:8788',
      account: '123456789',
    });
  });

  it.each([
    [['--bogus'], 'unknown flag --bogus'],
    [['-x'], 'unknown flag -x'],
    [['--port'], '--port needs a value'],
    [['--wait-scan=yes'], '--wait-scan takes no value'],
    [['stray'], 'unexpected argument "stray": every option is a --flag'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, not "70000"'],
    [['--hold-ms', '1.5'], '--hold-ms must be a whole number from 1000 to 300000, not "1.5"'],
    [
      ['--log-level', 'LOUD'],
      '--log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, not "LOUD"',
    ],
    [['--account', '0123'], '--account must be a QQ number (5 to 12 digits), not "0123"'],
    [
      ['--smartqq-url', 'http://127.0.0.1:1'],
      '--smartqq-url needs --account QQ: the QQ number the bot logs in as',
    ],
    [
      ['--smartqq-url', 'smartqq.local', '--account', '20001'],
      '--smartqq-url must be a URL such as http://127.0.0.1:8788, not "smartqq.local"',
    ],
    [
      ['--smartqq-url', 'ftp://x', '--account', '20001'],
      '--smartqq-url must be an http or https URL, not "ftp://x"',
    ],
    [
      ['--smartqq-url', 'http://x', '--account', '20001', '--world', 'world.json'],
      '--world is for the built-in simulator; it does not go with --smartqq-url',
    ],
    [
      ['--smartqq-url', 'http://x', '--account', '20001', '--quiet-demo'],
      '--quiet-demo is for the built-in simulator; it does not go with --smartqq-url',
    ],
    [['--world', 'missing.json'], '--world missing.json: no such file'],
    [['--rules', 'broken.json'], /^--rules broken\.json: not JSON \(/],
    [
      ['--rules', 'object.json'],
      '--rules object.json: must hold a JSON array of rules (as `npm run rules -- export` writes)',
    ],
    [['--data-dir', ' '], '--data-dir needs a folder'],
  ])('%j: %s', (argv, message) => {
    if (typeof message === 'string') expect(problem(...argv)).toBe(message);
    else expect(problem(...argv)).toMatch(message);
  });
});
