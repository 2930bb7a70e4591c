import { type AwsError, awsError, xmlEscape } from './aws-error';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** `<Name>text</Name>`, or nothing when the value is undefined. */
export function element(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${inner}</${root}>`;
}

export function s3ErrorXml(error: AwsError, requestId: string): string {
  const details = Object.entries(error.details)
    .map(([name, value]) => element(name, value))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', error.code)}${element('Message', error.message)}` +
    `${details}${element('RequestId', requestId)}${element('HostId', requestId)}</Error>`
  );
}

function decodeText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    switch (entity) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(
          entity.startsWith('#x')
            ? Number.parseInt(entity.slice(2), 16)
            : Number.parseInt(entity.slice(1), 10),
        );
    }
  });
}

/** Every `<name>...</name>` directly in `xml`, as decoded text (the request bodies S3 takes are this simple). */
function elements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? '');
}

function first(xml: string, name: string): string | undefined {
  const [value] = elements(xml, name);
  return value === undefined ? undefined : decodeText(value);
}

function malformed(): AwsError {
  return awsError(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
}

/** CompleteMultipartUpload body: the parts, in the order the client listed them. */
export function parseCompleteMultipartUpload(xml: string): { partNumber: number; etag: string }[] {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) throw malformed();
  const parts = elements(xml, 'Part').map((part) => {
    const partNumber = Number(first(part, 'PartNumber'));
    const etag = first(part, 'ETag');
    if (!Number.isInteger(partNumber) || etag === undefined) throw malformed();
    return { partNumber, etag: etag.trim() };
  });
  if (parts.length === 0) throw malformed();
  return parts;
}

/** DeleteObjects body: keys and whether only errors should be reported. */
export function parseDeleteObjects(xml: string): { keys: string[]; quiet: boolean } {
  if (!/<Delete[\s>]/.test(xml)) throw malformed();
  const keys = elements(xml, 'Object').map((object) => {
    const key = first(object, 'Key');
    if (key === undefined) throw malformed();
    return key;
  });
  if (keys.length === 0 || keys.length > 1000) throw malformed();
  return { keys, quiet: first(xml, 'Quiet')?.trim() === 'true' };
}
