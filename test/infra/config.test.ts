import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BotConfigError, MAX_POLLER_RATE_MINUTES, readBotConfig } from '../../infra/config.ts';
import { defineApp, stackName } from '../../infra/qq-bot-stack.ts';

const from =
  (context: Record<string, unknown>) =>
  (key: string): unknown =>
    context[key];

describe('readBotConfig (CDK context)', () => {
  it('needs only the account, and defaults the rest as the functions do', () => {
    expect(readBotConfig(from({ account: '20001' }))).toEqual({
      account: '20001',
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
      }),
    );
    expect(config).toMatchObject({
      account: '123456789',
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

  it('fails before building anything when the account is missing', () => {
    const app = new App();
    expect(() => defineApp(app)).toThrow(BotConfigError);
    expect(app.node.children).toHaveLength(0);
  });
});
