import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  BotConfigError,
  DEFAULT_POLLER_MEMORY_MB,
  MAX_CONFIGURED_ACCOUNTS,
  MAX_POLLER_RATE_MINUTES,
  POLLER_MEMORY_RANGE_MB,
  readBotConfig,
} from '../../infra/config.ts';
import { defineApp, stackName } from '../../infra/qq-bot-stack.ts';
import { ENV } from '../../lib/config.ts';
import { ACCOUNTS_PER_SHARD, MAX_SHARDS } from '../../lib/pipeline/shard.ts';

const from =
  (context: Record<string, unknown>) =>
  (key: string): unknown =>
    context[key];

describe('readBotConfig (CDK context)', () => {
  it('needs only the account, and defaults the rest as the functions do', () => {
    expect(readBotConfig(from({ account: '20001' }))).toEqual({
      account: '20001',
      accounts: ['20001'],
      shards: 1,
      pollerMemoryMb: 128,
      smartqq: {},
      pollerRateMinutes: 1,
      sendIntervalMs: 3000,
      sendBurst: 3,
      conversationRepliesPerMinute: 6,
    });
  });

  it('takes numbers from cdk.json and strings from -c alike', () => {
    const config = readBotConfig(
      from({
        account: 123456789,
        pollerRateMinutes: '5',
        sendIntervalMs: 0,
        sendBurst: '5',
        alarmEmail: 'me@example.com',
        shards: '3',
        pollerMemoryMb: 192,
      }),
    );
    expect(config).toMatchObject({
      account: '123456789',
      shards: 3,
      pollerMemoryMb: 192,
      pollerRateMinutes: 5,
      sendIntervalMs: 0,
      sendBurst: 5,
      alarmEmail: 'me@example.com',
    });
  });

  it('turns the SmartQQ URLs into the variables lib/config.ts reads', () => {
    const config = readBotConfig(
      from({
        account: '20001',
        smartqqBaseUrl: 'https://smartqq.example.com',
        smartqqD1web2Url: 'https://d1.example.com',
      }),
    );
    expect(config.smartqq).toEqual({
      SMARTQQ_BASE_URL: 'https://smartqq.example.com',
      SMARTQQ_D1WEB2_URL: 'https://d1.example.com',
    });
  });

  describe('accounts: served besides `account`, which comes first and names the stack', () => {
    it.each([
      ['-c accounts=20002,20003', '20002,20003', ['20001', '20002', '20003']],
      ['spaces around the commas', ' 20002 , 20003 ', ['20001', '20002', '20003']],
      ['a JSON array of numbers and strings', [20003, '20002'], ['20001', '20003', '20002']],
      ['one number', 20002, ['20001', '20002']],
      ['repeats, and the account itself, once', '20002,20001,20002', ['20001', '20002']],
      ['an empty array', [], ['20001']],
    ])('%s', (_how, accounts, expected) => {
      const config = readBotConfig(from({ account: '20001', accounts }));
      expect(config.accounts).toEqual(expected);
      expect(config.account).toBe('20001');
    });

    it('become ACCOUNTS as the functions parse it, in the same order', () => {
      const { accounts } = readBotConfig(from({ account: 20001, accounts: '20003,20002,20003' }));
      expect(ENV.ACCOUNTS.parse(accounts.join(','))).toEqual(accounts);
    });

    it(`at most ${MAX_CONFIGURED_ACCOUNTS}, whose ACCOUNTS leaves most of Lambda's 4 KB of variables to the rest`, () => {
      const longest = Array.from({ length: MAX_CONFIGURED_ACCOUNTS }, (_, i) => String(100_000_000_000 + i));
      expect(readBotConfig(from({ account: '20001', accounts: longest })).accounts).toHaveLength(
        MAX_CONFIGURED_ACCOUNTS + 1,
      );
      expect(`ACCOUNTS=20001,${longest.join(',')}`.length).toBeLessThan(2048);
      expect(() => readBotConfig(from({ account: '20001', accounts: [...longest, '200000000000'] }))).toThrow(
        /'accounts': at most 150 accounts.*POST \/v1\/accounts/,
      );
    });
  });

  it('shards and pollerMemoryMb default to one shard at 128 MB, which the measurements allow', () => {
    expect(DEFAULT_POLLER_MEMORY_MB).toBe(128);
    expect(POLLER_MEMORY_RANGE_MB.min).toBe(DEFAULT_POLLER_MEMORY_MB);
    // 192 MB was measured to hold ACCOUNTS_PER_SHARD (128.5 MB at 100): the range allows it.
    expect(ACCOUNTS_PER_SHARD).toBe(100);
    expect(readBotConfig(from({ account: '20001', pollerMemoryMb: '192' })).pollerMemoryMb).toBe(192);
    expect(readBotConfig(from({ account: '20001', shards: MAX_SHARDS })).shards).toBe(MAX_SHARDS);
  });

  describe('onebot: a OneBot v11 bot the consumer posts to, with onebotPostUrl', () => {
    it('none without onebotPostUrl (an empty one is none too)', () => {
      expect(readBotConfig(from({ account: '20001' }))).not.toHaveProperty('onebot');
      expect(readBotConfig(from({ account: '20001', onebotPostUrl: '' }))).not.toHaveProperty('onebot');
    });

    it('the URL alone: mode and format default as the functions do', () => {
      expect(
        readBotConfig(from({ account: '20001', onebotPostUrl: 'https://bot.example/onebot' })).onebot,
      ).toEqual({
        postUrl: 'https://bot.example/onebot',
        mode: ENV.ONEBOT_MODE.parse(undefined),
        postFormat: ENV.ONEBOT_POST_FORMAT.parse(undefined),
      });
      expect(ENV.ONEBOT_MODE.parse(undefined)).toBe('rules_first');
      expect(ENV.ONEBOT_POST_FORMAT.parse(undefined)).toBe('string');
    });

    it.each([
      ['http://127.0.0.1:8080/onebot/v11/http/', 'rules_first', 'string'],
      ['https://bot.example', 'onebot_only', 'array'],
      ['HTTPS://bot.example/post?x=1', 'both', 'string'],
    ])('%s, %s, %s: as given', (onebotPostUrl, onebotMode, onebotPostFormat) => {
      const config = readBotConfig(from({ account: '20001', onebotPostUrl, onebotMode, onebotPostFormat }));
      expect(config.onebot).toEqual({
        postUrl: onebotPostUrl,
        mode: onebotMode,
        postFormat: onebotPostFormat,
      });
      // Values the consumer itself accepts.
      expect(ENV.ONEBOT_POST_URL.parse(onebotPostUrl)).toBe(onebotPostUrl);
      expect(ENV.ONEBOT_MODE.parse(onebotMode)).toBe(onebotMode);
      expect(ENV.ONEBOT_POST_FORMAT.parse(onebotPostFormat)).toBe(onebotPostFormat);
    });

    it.each([
      [{ onebotPostUrl: 'bot.example/onebot' }, /'onebotPostUrl': not a URL/],
      [{ onebotPostUrl: 'https://bot:pw@bot.example/' }, /'onebotPostUrl': no user or password in the URL/],
      [{ onebotPostUrl: 'ftp://bot.example/onebot' }, /'onebotPostUrl': expected an http or https URL/],
      [{ onebotPostUrl: 'javascript:alert(1)' }, /'onebotPostUrl': expected an http or https URL/],
      [{ onebotPostUrl: 8080 }, /'onebotPostUrl'/],
      [
        { onebotPostUrl: 'https://bot.example', onebotMode: 'rules' },
        /'onebotMode': .*"rules_first"\|"onebot_only"\|"both"/,
      ],
      [
        { onebotPostUrl: 'https://bot.example', onebotPostFormat: 'json' },
        /'onebotPostFormat': .*"string"\|"array"/,
      ],
      [{ onebotMode: 'both' }, /'onebotMode' goes with onebotPostUrl/],
      [{ onebotPostFormat: 'array' }, /'onebotPostFormat' goes with onebotPostUrl/],
      [{ onebotPostUrl: '', onebotMode: 'onebot_only' }, /'onebotMode' goes with onebotPostUrl/],
    ])('refuses %j, naming the key', (context, message) => {
      expect(() => readBotConfig(from({ account: '20001', ...context }))).toThrow(BotConfigError);
      expect(() => readBotConfig(from({ account: '20001', ...context }))).toThrow(message);
    });

    it('names every key that goes with onebotPostUrl, with the other problems, at once', () => {
      expect(() =>
        readBotConfig(from({ account: '20001', shards: 0, onebotMode: 'both', onebotPostFormat: 'array' })),
      ).toThrow(
        /'shards': .*; 'onebotMode' goes with onebotPostUrl.*; 'onebotPostFormat' goes with onebotPostUrl/,
      );
    });
  });

  it('says how to give the account when it is missing', () => {
    expect(() => readBotConfig(from({}))).toThrow(BotConfigError);
    expect(() => readBotConfig(from({ account: '' }))).toThrow(/-c account=/);
  });

  it.each([
    [{ account: '0123' }, /'account': must be a QQ number/],
    [{ account: '20001', pollerRateMinutes: 0 }, /'pollerRateMinutes'/],
    [{ account: '20001', pollerRateMinutes: MAX_POLLER_RATE_MINUTES + 1 }, /'pollerRateMinutes'/],
    [{ account: '20001', sendIntervalMs: -1 }, /'sendIntervalMs'/],
    [{ account: '20001', sendBurst: 0 }, /'sendBurst'/],
    [{ account: '20001', alarmEmail: 'not-an-email' }, /'alarmEmail'/],
    [{ account: '20001', smartqqBaseUrl: 'smartqq.example.com' }, /'smartqqBaseUrl'/],
    [{ account: '20001', accounts: 'abc' }, /'accounts\.0': "abc" is not a QQ number/],
    [{ account: '20001', accounts: '20002,,20003' }, /'accounts\.1': "" is not a QQ number/],
    [{ account: '20001', accounts: '20002;20003' }, /'accounts\.0': "20002;20003" is not a QQ number/],
    [{ account: '20001', accounts: [20002, '0123'] }, /'accounts\.1': "0123" is not a QQ number/],
    [{ account: '20001', accounts: [20002.5] }, /'accounts\.0': "20002.5" is not a QQ number/],
    [{ account: '20001', accounts: { a: 20002 } }, /'accounts': expected QQ numbers, comma-separated/],
    [{ account: '20001', accounts: true }, /'accounts': expected QQ numbers/],
    [{ account: '20001', shards: 0 }, /'shards': expected a whole number from 1 to 100/],
    [{ account: '20001', shards: MAX_SHARDS + 1 }, /'shards'/],
    [{ account: '20001', shards: '1.5' }, /'shards'/],
    [{ account: '20001', shards: 'three' }, /'shards'/],
    [{ account: '20001', pollerMemoryMb: 127 }, /'pollerMemoryMb': expected a whole number from 128 to 3008/],
    [{ account: '20001', pollerMemoryMb: POLLER_MEMORY_RANGE_MB.max + 1 }, /'pollerMemoryMb'/],
    [{ account: '20001', pollerMemoryMb: '192.5' }, /'pollerMemoryMb'/],
    [{ account: '20001', pollerMemoryMb: '192MB' }, /'pollerMemoryMb'/],
  ])('refuses %j, naming the key', (context, message) => {
    expect(() => readBotConfig(from(context))).toThrow(message);
  });
});

describe('defineApp', () => {
  it('names the stack after the account, so a second bot gets a stack of its own', () => {
    const stack = defineApp(new App({ context: { account: '20001', 'aws:cdk:bundling-stacks': [] } }));
    expect(stack.stackName).toBe(stackName('20001'));
    expect(stackName('20001')).toBe('QQBot-20001');
  });

  it('keeps the stack name of the account when more accounts are served', () => {
    const stack = defineApp(
      new App({ context: { account: '20001', accounts: '20002', 'aws:cdk:bundling-stacks': [] } }),
    );
    expect(stack.stackName).toBe('QQBot-20001');
  });

  it('fails before building anything when onebotMode comes without onebotPostUrl', () => {
    const app = new App({ context: { account: '20001', onebotMode: 'both' } });
    expect(() => defineApp(app)).toThrow(/'onebotMode' goes with onebotPostUrl/);
    expect(app.node.children).toHaveLength(0);
  });

  it('fails before building anything when the account is missing', () => {
    const app = new App();
    expect(() => defineApp(app)).toThrow(BotConfigError);
    expect(app.node.children).toHaveLength(0);
  });
});
