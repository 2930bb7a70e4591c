import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evenHex, sessionTagsFor } from '../../../src/local-endpoint/session-tags';
import { createRootCa, issueLeaf, type TestCa } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { certificateOf } from './endpoint-pki';

const tmp = makeTempDir();
let ca: TestCa;

const LEAF_EXTENSIONS = ['basicConstraints=critical,CA:false', 'keyUsage=critical,digitalSignature'];

beforeAll(() => {
  ca = createRootCa(tmp.path, 'Tag Root CA');
});
afterAll(() => tmp.remove());

describe('sessionTagsFor', () => {
  it('works a certificate out once, and gives every caller tags of its own', () => {
    const leaf = certificateOf(
      issueLeaf(tmp.path, ca, { name: 'twice', extensions: LEAF_EXTENSIONS }).certPem,
    );
    const first = sessionTagsFor(leaf);
    first.tags['x509Subject/CN'] = 'changed by a caller';
    first.droppedTags.push('changed');
    const second = sessionTagsFor(leaf);
    expect(second.tags['x509Subject/CN']).toBe('twice');
    expect(second.droppedTags).toEqual([]);
    expect(second.serialHex).toBe(first.serialHex);
  });

  it('maps subject, issuer and the first SAN values as Roles Anywhere does', () => {
    const leaf = issueLeaf(tmp.path, ca, {
      name: 'alice',
      subject:
        '/C=US/ST=Washington/L=Seattle/O=Example/OU=Security/OU=Engineering/CN=alice/emailAddress=alice@example.com',
      extensions: [
        ...LEAF_EXTENSIONS,
        'subjectAltName=DNS:edge-01.example.com,DNS:second.example.com,URI:spiffe://example.com/workload/alice,URI:https://second.example.com/,dirName:dir_sect,IP:10.0.0.1,email:alice@example.com',
        '[dir_sect]',
        'CN=Alice',
        'OU=Directory',
      ],
    });
    const info = sessionTagsFor(certificateOf(leaf.certPem));
    expect(info.tags).toEqual({
      'x509Subject/C': 'US',
      'x509Subject/ST': 'Washington',
      'x509Subject/L': 'Seattle',
      'x509Subject/O': 'Example',
      'x509Subject/OU': 'Security/Engineering',
      'x509Subject/CN': 'alice',
      'x509Issuer/O': 'rolesanywhere-agent tests',
      'x509Issuer/CN': 'Tag Root CA',
      'x509SAN/DNS': 'edge-01.example.com',
      'x509SAN/URI': 'spiffe://example.com/workload/alice',
      'x509SAN/Name/CN': 'Alice',
      'x509SAN/Name/OU': 'Directory',
    });
    expect(info.droppedTags).toEqual([]);
    expect(info.sourceIdentity).toBe('CN=alice');
    expect(info.serialHex).toBe(leaf.serialHex.toLowerCase().replace(/^(00)+(?=.)/, ''));
    expect(info.serialHex.length % 2).toBe(0);
  });

  it('maps the article-shaped leaf: OU DataCenter-Northeast, no SAN', () => {
    const leaf = issueLeaf(tmp.path, ca, { name: 'edge-01' });
    const info = sessionTagsFor(certificateOf(leaf.certPem));
    expect(info.tags['x509Subject/OU']).toBe('DataCenter-Northeast');
    expect(Object.keys(info.tags).filter((key) => key.startsWith('x509SAN'))).toEqual([]);
  });

  it('uses the CN itself as source identity for 62 to 64 characters', () => {
    const cn61 = 'a'.repeat(61);
    const cn62 = 'b'.repeat(62);
    const at61 = issueLeaf(tmp.path, ca, { name: 'cn61', subject: `/O=Example/CN=${cn61}` });
    const at62 = issueLeaf(tmp.path, ca, { name: 'cn62', subject: `/O=Example/CN=${cn62}` });
    expect(sessionTagsFor(certificateOf(at61.certPem)).sourceIdentity).toBe(`CN=${cn61}`);
    expect(sessionTagsFor(certificateOf(at62.certPem)).sourceIdentity).toBe(cn62);
  });

  it('uses ID=<hex serial> when the subject has no CN', () => {
    const leaf = issueLeaf(tmp.path, ca, { name: 'nocn', subject: '/O=Example/OU=Robots' });
    const info = sessionTagsFor(certificateOf(leaf.certPem));
    expect(info.sourceIdentity).toBe(`ID=${info.serialHex}`);
    expect(info.tags['x509Subject/CN']).toBeUndefined();
  });

  it('drops values STS would not take as tag values', () => {
    const leaf = issueLeaf(tmp.path, ca, {
      name: 'comma',
      subject: '/O=Acme, Inc./OU=Ops (night)/CN=robot-7',
    });
    const info = sessionTagsFor(certificateOf(leaf.certPem));
    expect(info.droppedTags.sort()).toEqual(['x509Subject/O', 'x509Subject/OU']);
    expect(info.tags['x509Subject/CN']).toBe('robot-7');
  });
});

describe('evenHex', () => {
  it.each([
    ['123', '0123'],
    ['4567', '4567'],
    ['00FF', 'ff'],
    ['0A', '0a'],
    ['1F71C5114A119FC0CC5A5A52FB3720AD', '1f71c5114a119fc0cc5a5a52fb3720ad'],
  ])('%s -> %s', (input, output) => {
    expect(evenHex(input)).toBe(output);
  });
});
