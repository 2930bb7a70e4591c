import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ROLE_ID,
  sdkCredentials,
  startTestEndpoint,
  type TestEndpoint,
} from '../../fixtures/local-endpoint/endpoint';
import { presignPath, rawRequest, signRequest } from '../../fixtures/local-endpoint/http';

let endpoint: TestEndpoint;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});

afterAll(async () => {
  await endpoint.stop();
});

function stsClient(credentials: ReturnType<typeof sdkCredentials>) {
  return new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function sdkError(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

const FORM = 'Action=GetCallerIdentity&Version=2011-06-15';
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

describe('STS GetCallerIdentity, query protocol (the AWS SDK for JavaScript)', () => {
  it('names the assumed role of the issued credentials', async () => {
    const session = endpoint.issue(3600, 'edge-host-1');
    const identity = await stsClient(sdkCredentials(session)).send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(ACCOUNT);
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/EdgeBackupRole/edge-host-1`);
    expect(identity.UserId).toBe(`${ROLE_ID}:edge-host-1`);
  });

  it('refuses expired credentials with ExpiredToken', async () => {
    const session = endpoint.issue(-60);
    const error = await sdkError(stsClient(sdkCredentials(session)).send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('ExpiredToken');
    expect(error.status).toBe(400);
  });

  it('refuses an access key it never issued with InvalidClientTokenId', async () => {
    const session = endpoint.issue();
    const credentials = { ...sdkCredentials(session), accessKeyId: 'ASIAAAAAAAAAAAAAAAAA' };
    const error = await sdkError(stsClient(credentials).send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.status).toBe(403);
  });

  it('refuses a wrong secret (so a wrong signature) with SignatureDoesNotMatch', async () => {
    const session = endpoint.issue();
    const credentials = {
      ...sdkCredentials(session),
      secretAccessKey: `${session.secretAccessKey.slice(0, -2)}AA`,
    };
    const error = await sdkError(stsClient(credentials).send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.status).toBe(403);
  });

  it('refuses another session token with the right key and secret', async () => {
    const session = endpoint.issue();
    const other = endpoint.issue();
    const credentials = { ...sdkCredentials(session), sessionToken: other.sessionToken };
    const error = await sdkError(stsClient(credentials).send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('InvalidClientTokenId');
  });
});

describe('STS over raw signed requests', () => {
  it('answers the query protocol in XML, and a tampered body is SignatureDoesNotMatch', async () => {
    const session = endpoint.issue(3600, 'raw');
    const signed = await signRequest(endpoint.url, session, {
      method: 'POST',
      path: '/',
      headers: FORM_HEADERS,
      body: FORM,
      service: 'sts',
    });
    const ok = await rawRequest(endpoint.url, {
      method: 'POST',
      path: signed.path,
      headers: signed.headers,
      body: FORM,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('text/xml');
    expect(ok.body.toString()).toContain(
      `<Arn>arn:aws:sts::${ACCOUNT}:assumed-role/EdgeBackupRole/raw</Arn>`,
    );
    const tampered = await rawRequest(endpoint.url, {
      method: 'POST',
      path: signed.path,
      headers: signed.headers,
      body: FORM.replace('2011-06-15', '2011-06-16'),
    });
    expect(tampered.status).toBe(403);
    expect(tampered.body.toString()).toMatch(/<Code>SignatureDoesNotMatch<\/Code>/);
    expect(tampered.body.toString()).toMatch(
      /<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/,
    );
  });

  it('answers the AWS JSON 1.0 protocol (X-Amz-Target) in JSON, errors included', async () => {
    const session = endpoint.issue(3600, 'json');
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity',
    };
    const signed = await signRequest(endpoint.url, session, {
      method: 'POST',
      path: '/',
      headers,
      body: '{}',
      service: 'sts',
    });
    const ok = await rawRequest(endpoint.url, {
      method: 'POST',
      path: signed.path,
      headers: signed.headers,
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(ok.body.toString())).toEqual({
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/EdgeBackupRole/json`,
      UserId: `${ROLE_ID}:json`,
    });
    const expired = endpoint.issue(-1);
    const refused = await signRequest(endpoint.url, expired, {
      method: 'POST',
      path: '/',
      headers,
      body: '{}',
      service: 'sts',
    });
    const error = await rawRequest(endpoint.url, {
      method: 'POST',
      path: refused.path,
      headers: refused.headers,
      body: '{}',
    });
    expect(error.status).toBe(400);
    expect(error.headers['x-amzn-query-error']).toBe('ExpiredToken;Sender');
    expect(JSON.parse(error.body.toString()).__type).toBe('com.amazonaws.sts#ExpiredToken');
  });

  it('refuses a request dated more than 15 minutes away with RequestTimeTooSkewed, accepts 14', async () => {
    const session = endpoint.issue();
    for (const [minutes, status] of [
      [-16, 403],
      [16, 403],
      [-14, 200],
    ] as const) {
      const signed = await signRequest(endpoint.url, session, {
        method: 'POST',
        path: '/',
        headers: FORM_HEADERS,
        body: FORM,
        service: 'sts',
        signingDate: new Date(Date.now() + minutes * 60_000),
      });
      const response = await rawRequest(endpoint.url, {
        method: 'POST',
        path: signed.path,
        headers: signed.headers,
        body: FORM,
      });
      expect(response.status, `${minutes} minutes`).toBe(status);
      if (status === 403) expect(response.body.toString()).toContain('<Code>RequestTimeTooSkewed</Code>');
    }
  });

  it('accepts a presigned GetCallerIdentity URL until it expires', async () => {
    const session = endpoint.issue(3600, 'presigned');
    const query = { Action: 'GetCallerIdentity', Version: '2011-06-15' };
    const path = await presignPath(endpoint.url, session, {
      method: 'GET',
      path: '/',
      query,
      service: 'sts',
      expiresIn: 60,
    });
    const ok = await rawRequest(endpoint.url, { method: 'GET', path });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toContain('assumed-role/EdgeBackupRole/presigned');
    const old = await presignPath(endpoint.url, session, {
      method: 'GET',
      path: '/',
      query,
      service: 'sts',
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const expired = await rawRequest(endpoint.url, { method: 'GET', path: old });
    expect(expired.status).toBe(403);
    expect(expired.body.toString()).toContain('Signature expired');
  });

  it('asks for authentication when a request is not signed, and refuses other actions', async () => {
    const anonymous = await rawRequest(endpoint.url, {
      method: 'POST',
      path: '/',
      headers: FORM_HEADERS,
      body: FORM,
    });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.toString()).toContain('<Code>MissingAuthenticationToken</Code>');
    const session = endpoint.issue();
    const body = 'Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=y';
    const signed = await signRequest(endpoint.url, session, {
      method: 'POST',
      path: '/',
      headers: FORM_HEADERS,
      body,
      service: 'sts',
    });
    const other = await rawRequest(endpoint.url, {
      method: 'POST',
      path: signed.path,
      headers: signed.headers,
      body,
    });
    expect(other.status).toBe(400);
    expect(other.body.toString()).toContain('<Code>InvalidAction</Code>');
  });

  it('never echoes the secret or the session token in an error', async () => {
    const session = endpoint.issue(-5);
    const signed = await signRequest(endpoint.url, session, {
      method: 'POST',
      path: '/',
      headers: FORM_HEADERS,
      body: FORM,
      service: 'sts',
    });
    const response = await rawRequest(endpoint.url, {
      method: 'POST',
      path: signed.path,
      headers: signed.headers,
      body: FORM,
    });
    expect(response.status).toBe(400);
    expect(response.body.toString()).not.toContain(session.secretAccessKey);
    expect(response.body.toString()).not.toContain(session.sessionToken);
  });
});
