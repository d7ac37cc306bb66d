// An app that uses only @aws-sdk/client-bedrock-runtime, with the one import as the
// first line of its entry (bedrock-register.test.ts also runs it with --import):
// four calls to a Bedrock at FAKE_BEDROCK_URL, one per operation.
import '@costlens/instrumentation/register';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';

const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: process.env.FAKE_BEDROCK_URL,
  credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET },
});
const messages = [{ role: 'user', content: [{ text: 'Hi' }] }];
await client.send(new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-6', messages }));
const converse = await client.send(
  new ConverseStreamCommand({ modelId: 'amazon.nova-pro-v1:0', messages }),
);
for await (const _ of converse.stream) {
}
await client.send(
  new InvokeModelCommand({
    modelId: 'mistral.mistral-7b-instruct-v0:2',
    body: JSON.stringify({ prompt: 'Hi' }),
  }),
);
const invoke = await client.send(
  new InvokeModelWithResponseStreamCommand({
    modelId: 'meta.llama3-1-8b-instruct-v1:0',
    body: JSON.stringify({ prompt: 'Hi' }),
  }),
);
for await (const _ of invoke.body) {
}
client.destroy();
console.log('done');
