import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { registerSecret } from '#shared/logger.ts';

/**
 * Reads the LiveKit API secret from Secrets Manager: the secret string itself, or JSON with an `apiSecret`
 * field. The value is registered with the logger so it is masked in every log line.
 */
export async function readLiveKitSecret(arn: string, client = new SecretsManagerClient({})): Promise<string> {
  const res = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  const raw = res.SecretString?.trim() ?? '';
  let value = raw;
  if (raw.startsWith('{')) {
    const parsed = JSON.parse(raw) as { apiSecret?: unknown };
    value = typeof parsed.apiSecret === 'string' ? parsed.apiSecret : '';
  }
  if (value === '') throw new Error(`secret ${arn} holds no LiveKit API secret`);
  registerSecret(value);
  return value;
}
