/**
 * The CDK app (`cdk.json` runs it with tsx): `npx cdk synth|deploy|destroy -c account=<QQ number>`.
 */
import { App } from 'aws-cdk-lib';
import { BotConfigError } from './config.ts';
import { defineApp } from './qq-bot-stack.ts';

const app = new App();
try {
  defineApp(app);
} catch (err) {
  // A bad setting is the operator's to fix: say which, without a stack trace.
  if (!(err instanceof BotConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
app.synth();
